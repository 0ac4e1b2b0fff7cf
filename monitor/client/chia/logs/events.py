"""What the chia log parser recognises: one small frozen dataclass per kind of line.

Every event has `time` (epoch seconds; chia logs local time without a zone, read as local time)
and `service` (the chia service that wrote the line: harvester, farmer, full_node, wallet, ...).
`kind` is the snake_case name used by `teafarm chia parse-log --json/--summary` and by log health.
"""
from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import Any, ClassVar


def _fast_init(cls: type) -> type:
    """Give a frozen dataclass an __init__ that sets its slots through their descriptors.

    A frozen dataclass's own __init__ goes through object.__setattr__ per field, about 5x slower
    than a plain one; parse-log makes ~600k events per 400 MiB of log, so this is seconds. The
    class stays frozen: assigning a field afterwards still raises FrozenInstanceError.
    """
    names = [f.name for f in dataclasses.fields(cls)]
    setters = {f"_set_{name}": next(k.__dict__[name].__set__ for k in cls.__mro__ if name in k.__dict__)
               for name in names}
    source = (f"def __init__(self, {', '.join(names)}):\n"
              + "".join(f"    _set_{name}(self, {name})\n" for name in names))
    exec(source, setters)  # noqa: S102 - generated from the class's own field names only
    cls.__init__ = setters["__init__"]
    return cls


@dataclass(frozen=True, slots=True)
class LogEvent:
    kind: ClassVar[str] = "event"
    time: float
    service: str

    def fields(self) -> dict[str, Any]:
        """The event's own fields (without time and service), for JSON output."""
        return {f.name: getattr(self, f.name) for f in dataclasses.fields(self)[2:]}


@dataclass(frozen=True, slots=True)
class HarvesterAnswer(LogEvent):
    """A harvester looked up one signage point: `N plots were eligible ... Found P proofs`."""
    kind: ClassVar[str] = "harvester_answer"
    eligible: int
    challenge: str          # the first 10 hex characters chia logs
    proofs: int             # V1 proofs
    v2_qualities: int       # 0 before 2.5.7
    lookup_seconds: float
    total_plots: int


@dataclass(frozen=True, slots=True)
class SignagePointFinished(LogEvent):
    """Full node: `Finished signage point 19/64: CC: ... RC: ...` (older: `... 19/64: <hash>`, no RC)."""
    kind: ClassVar[str] = "signage_point"
    index: int
    of: int
    cc: str
    rc: str                 # "" where the line has none


@dataclass(frozen=True, slots=True)
class SubSlotFinished(LogEvent):
    """Full node: `Finished sub slot, SP 64/64, <cc>, number of sub-slots: N, RC hash: ..., Deficit D`."""
    kind: ClassVar[str] = "sub_slot"
    cc: str
    sub_slots: int
    rc: str
    deficit: int


@dataclass(frozen=True, slots=True)
class BlockFarmed(LogEvent):
    """Full node: `Farmed unfinished_block <hash>, SP: 49, ...`: this farm made a block."""
    kind: ClassVar[str] = "block_farmed"
    header_hash: str
    sp_index: int


@dataclass(frozen=True, slots=True)
class NodePeak(LogEvent):
    """Full node: `Updated peak to height H, weight W, hh <hash>, ...`."""
    kind: ClassVar[str] = "node_peak"
    height: int
    weight: int
    header_hash: str


@dataclass(frozen=True, slots=True)
class WalletPeak(LogEvent):
    """Wallet: `Peak set to: 3207808 timestamp: 1675618141`."""
    kind: ClassVar[str] = "wallet_peak"
    height: int
    timestamp: int


@dataclass(frozen=True, slots=True)
class PlotRefresh(LogEvent):
    """Harvester: `_plot_refresh_callback: event done, loaded N, removed N, ... total plots: N`
    (older: `loaded N plots, removed N plots, ...`, without event and total)."""
    kind: ClassVar[str] = "plot_refresh"
    event: str              # started, batch_processed, done
    loaded: int
    removed: int
    processed: int
    remaining: int
    duration: float
    total_plots: int        # -1 where the line does not say


@dataclass(frozen=True, slots=True)
class PlotsLoaded(LogEvent):
    """Harvester before 1.2: `Loaded a total of N plots of size S, in D seconds`."""
    kind: ClassVar[str] = "plots_loaded"
    total_plots: int
    size: str
    duration: float


@dataclass(frozen=True, slots=True)
class UnreadablePlot(LogEvent):
    """Harvester: `Error plot file <f> may no longer exist ...` or `Failed to open file <f>. <error>`."""
    kind: ClassVar[str] = "unreadable_plot"
    file: str
    error: str


@dataclass(frozen=True, slots=True)
class DuplicatePlot(LogEvent):
    """Harvester: `Have multiple copies of the plot <name> in [<dirs>]`."""
    kind: ClassVar[str] = "duplicate_plot"
    file: str
    directories: str


@dataclass(frozen=True, slots=True)
class PlotKeyMissing(LogEvent):
    """Harvester: `Plot <f> has a farmer public key that is not in the farmer's pk list.`"""
    kind: ClassVar[str] = "plot_key_missing"
    file: str


@dataclass(frozen=True, slots=True)
class SlowLookup(LogEvent):
    """Harvester: `Looking up qualities on <file> took: <t>. This should be below 5 seconds ...`."""
    kind: ClassVar[str] = "slow_lookup"
    file: str
    seconds: float


@dataclass(frozen=True, slots=True)
class PeerConnected(LogEvent):
    """Any service: `Connected with farmer PeerInfo(_ip=IPv4Address('1.2.3.4'), _port=8447)` (older:
    `Connected with full_node {'host': '1.2.3.4', 'port': 8444}`)."""
    kind: ClassVar[str] = "peer_connected"
    peer_type: str          # farmer, full_node, harvester, wallet, ...
    ip: str
    port: int


@dataclass(frozen=True, slots=True)
class ConnectionClosed(LogEvent):
    """Any service: `Connection closed: <ip>, node id: <id>`.

    A farmer logs it for its harvesters and its full node alike: whether `node_id` is a harvester
    is known from HarvesterConnected / FarmingInfo events with the same node id.
    """
    kind: ClassVar[str] = "connection_closed"
    ip: str
    node_id: str


@dataclass(frozen=True, slots=True)
class PeerDisconnected(LogEvent):
    """Farmer or harvester: `peer disconnected PeerInfo(_ip=IPv4Address('1.2.3.4'), _port=N)`.

    Logged for every peer type; a harvester has port 0 on the farmer's side, so an IP never
    identifies a harvester.
    """
    kind: ClassVar[str] = "peer_disconnected"
    ip: str
    port: int


@dataclass(frozen=True, slots=True)
class HarvesterDisconnected(LogEvent):
    """Farmer: `peer disconnected PeerInfo(... _port=0)`: port 0 is a harvester (it has no server
    port; a full node has one). `node_id` comes from the farmer's `Connection closed: <ip>, node id:
    <id>` line just before it ("" when that line was not seen)."""
    kind: ClassVar[str] = "harvester_disconnected"
    node_id: str
    ip: str


@dataclass(frozen=True, slots=True)
class HarvesterConnected(LogEvent):
    """Farmer, DEBUG: `-> harvester_handshake to peer <ip> <node_id>`: a harvester joined."""
    kind: ClassVar[str] = "harvester_connected"
    node_id: str
    ip: str


@dataclass(frozen=True, slots=True)
class FarmingInfo(LogEvent):
    """Farmer, DEBUG: `<- farming_info from peer <node_id> <ip>`: a harvester answered an SP."""
    kind: ClassVar[str] = "farming_info"
    node_id: str
    ip: str


@dataclass(frozen=True, slots=True)
class FarmerSignagePoint(LogEvent):
    """Farmer, DEBUG: `<- new_signage_point from peer <node_id> <ip>`: an SP reached the farmer."""
    kind: ClassVar[str] = "farmer_signage_point"
    node_id: str
    ip: str


EVENT_TYPES: tuple[type[LogEvent], ...] = (
    HarvesterAnswer, SignagePointFinished, SubSlotFinished, BlockFarmed, NodePeak, WalletPeak,
    PlotRefresh, PlotsLoaded, UnreadablePlot, DuplicatePlot, PlotKeyMissing, SlowLookup,
    PeerConnected, ConnectionClosed, PeerDisconnected, HarvesterDisconnected, HarvesterConnected, FarmingInfo,
    FarmerSignagePoint,
)
KINDS: tuple[str, ...] = tuple(t.kind for t in EVENT_TYPES)
for _event_type in EVENT_TYPES:
    _fast_init(_event_type)
del _event_type
