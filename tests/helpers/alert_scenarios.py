"""For every state alert: events that set up a machine, make the problem, keep it (more of the
same, which must not send again) and clear it. One-shot news alerts only have `problem`."""
from __future__ import annotations

import itertools
import time
from dataclasses import dataclass
from typing import Callable

from protocol import events_pb2
from tests.helpers.backbone import event
from tests.helpers.farm import ADD, DELETE, UPDATE, disk, farming, harvester, plot

Events = list[events_pb2.UpdateEvent]


@dataclass
class Scenario:
    alert: str
    title: str
    setup: Callable[[], Events] = lambda: []
    problem: Callable[[], Events] = lambda: []
    repeat: Callable[[], Events] = lambda: []
    clear: Callable[[], Events] = lambda: []
    names_harvester: bool = False
    one_shot: bool = False
    detail: str = ""           # a piece of text the alert must carry


NODE = "c3" * 32
LAUNCHER = "d4" * 32


_slots = itertools.count()


def _buckets(count: int, expected: int, missed: int, p95: float) -> Events:
    """Minute buckets in a fresh 2-hour slot, later than any sent before: each call is a new hour of farming."""
    start = time.time() - 100 * 86400 + 7200 * next(_slots)
    return [farming(NODE, start + 60 * i, expected=expected, missed=missed, p95=p95) for i in range(count)]


def _plots(*ids: str, kind=ADD, status=1) -> Events:
    return [plot(i, NODE, status=status, kind=kind) for i in ids]


def _partial(accepted: bool) -> events_pb2.UpdateEvent:
    return event("partial", launcher_id=LAUNCHER, harvester_node_id=NODE, accepted=accepted, error="" if accepted else "Invalid signature")


def _smart(kind=ADD, health: int = 1, celsius: float = 38.0, reallocated: int = 8) -> events_pb2.UpdateEvent:
    """A physical disk's SMART row (health 1 passed, 2 failed), keyed by its serial."""
    return event("smart_disk", kind, id="ZL2ABC12", device="/dev/sdb", device_type="sat", model="ST16000NM001G-2KK103",
                 health=health, temperature_c=celsius, reallocated_sectors=reallocated, pending_sectors=0, power_on_hours=12345)


def _pool(reachable: bool, kind=ADD, error: str = "") -> events_pb2.UpdateEvent:
    return event("pool", kind, id=LAUNCHER, launcher_id=LAUNCHER, pool_url="https://pool.example", reachable=reachable, last_error=error)


_tx_numbers = itertools.count(1)
_tx_ids: list[str] = []
SESSION = 1_795_000_000.0      # a client start: its first read of a wallet is the wallet's history


def _tx(kind: int, mojo: int, history: bool = False, new: bool = True, event_type=ADD, **fields) -> events_pb2.UpdateEvent:
    """A wallet transaction (chia's TransactionType `kind`); a fresh id unless new=False (the last one again)."""
    if new:
        _tx_ids.append(f"{next(_tx_numbers):064x}")
    fields.setdefault("confirmed", True)
    return event("wallet_transaction", event_type, id=_tx_ids[-1], wallet_id=1, type=kind, amount=mojo,
                 history_session=SESSION if history else 0.0, **fields)


def _block(mojo_farmer: int = 250_000_000_000) -> Events:
    """A block won: its farmer reward and pool reward, two coins at one height."""
    height = 5_000_000 + next(_tx_numbers)
    return [_tx(3, mojo_farmer, confirmed_at_height=height), _tx(2, 1_750_000_000_000, confirmed_at_height=height)]


def _wallet_history() -> Events:
    return [_tx(3, 250_000_000_000, history=True, confirmed_at_height=4_000_000), _tx(0, 10**12, history=True)]


SCENARIOS = [
    Scenario("harvester_disconnected", "Harvester disconnected",
             setup=lambda: [harvester(NODE, True, plots=7)],
             problem=lambda: [harvester(NODE, False, UPDATE, plots=7)],
             repeat=lambda: [harvester(NODE, False, UPDATE, plots=7, disconnected_since=time.time())],
             clear=lambda: [harvester(NODE, True, UPDATE, plots=7)], names_harvester=True, detail="7 plots no longer farmed"),
    Scenario("plots_lost", "Plots lost",
             setup=lambda: _plots("p1", "p2", "p3"),
             problem=lambda: _plots("p1", kind=DELETE),
             repeat=lambda: _plots("p2", kind=DELETE),
             clear=lambda: _plots("p1", "p2"), names_harvester=True, detail="1 plots lost (2 valid of 3 seen)"),
    Scenario("invalid_plots", "Unreadable plots",
             setup=lambda: _plots("p1", "p2", "p3"),
             problem=lambda: _plots("p1", kind=UPDATE, status=2),
             repeat=lambda: _plots("p2", kind=UPDATE, status=2),
             clear=lambda: _plots("p1", "p2", kind=UPDATE), names_harvester=True, detail="1 plots cannot be read"),
    Scenario("disk_gone", "Disk gone",
             setup=lambda: [disk("/mnt/farm1")],
             problem=lambda: [event("disk", DELETE, id="/mnt/farm1")],
             repeat=lambda: [disk("/mnt/other")],
             clear=lambda: [disk("/mnt/farm1")], detail="/mnt/farm1 on"),
    Scenario("disk_full", "Disk almost full",
             setup=lambda: [disk("/var", 50.0)],
             problem=lambda: [disk("/var", 97.0, UPDATE)],
             repeat=lambda: [disk("/var", 98.0, UPDATE)],
             clear=lambda: [disk("/var", 60.0, UPDATE)], detail="/var on"),
    Scenario("ram_full", "RAM full",
             setup=lambda: [event("ram", percent=50.0)],
             problem=lambda: [event("ram", UPDATE, percent=97.0)],
             repeat=lambda: [event("ram", UPDATE, percent=99.0)],
             clear=lambda: [event("ram", UPDATE, percent=40.0)], detail="97% of its RAM"),
    Scenario("node_out_of_sync", "Full node out of sync",
             setup=lambda: [event("full_node", synced=True, peak_height=100)],
             problem=lambda: [event("full_node", UPDATE, synced=False, syncing=True, peak_height=101)],
             repeat=lambda: [event("full_node", UPDATE, synced=False, syncing=True, peak_height=102)],
             clear=lambda: [event("full_node", UPDATE, synced=True, peak_height=103)], detail="lost sync at height 101"),
    Scenario("wallet_out_of_sync", "Wallet out of sync",
             setup=lambda: [event("wallet", synced=True, height=100)],
             problem=lambda: [event("wallet", UPDATE, synced=False, height=101)],
             repeat=lambda: [event("wallet", UPDATE, synced=False, height=102)],
             clear=lambda: [event("wallet", UPDATE, synced=True, height=103)], detail="wallet on"),
    Scenario("service_stopped", "Chia service stopped",
             setup=lambda: [event("chia_service", id="harvester", state=3), event("chia_service", id="wallet", state=2)],
             problem=lambda: [event("chia_service", UPDATE, id="harvester", state=2)],
             repeat=lambda: [event("chia_service", UPDATE, id="harvester", state=4, error="RPC refused")],
             clear=lambda: [event("chia_service", UPDATE, id="harvester", state=3)], detail="chia harvester on"),
    Scenario("missed_signage_points", "Missed signage points",
             problem=lambda: _buckets(2, 64, 20, 0.3),
             repeat=lambda: _buckets(1, 64, 30, 0.3),
             clear=lambda: _buckets(10, 64, 0, 0.3), names_harvester=True, detail="missed 40 of 128 signage points (31.2%)"),
    Scenario("slow_lookups", "Slow lookups",
             problem=lambda: _buckets(5, 6, 0, 9.0),
             repeat=lambda: _buckets(6, 6, 0, 12.0),
             clear=lambda: _buckets(10, 6, 0, 0.3), names_harvester=True, detail="lookup p95 9.0 s"),
    Scenario("monitoring_blind", "Monitoring blind",
             setup=lambda: [event("log_health", id="debug.log:harvester", file="debug.log", parser="harvester", blind=False)],
             problem=lambda: [event("log_health", UPDATE, id="debug.log:harvester", file="debug.log", parser="harvester", blind=True)],
             repeat=lambda: [event("log_health", UPDATE, id="debug.log:harvester", file="debug.log", parser="harvester", blind=True, lines_matched=1)],
             clear=lambda: [event("log_health", UPDATE, id="debug.log:harvester", file="debug.log", parser="harvester", blind=False)],
             detail="harvester stopped matching lines in debug.log"),
    Scenario("partials_failing", "Partials failing",
             problem=lambda: [_partial(False), _partial(False), _partial(False)],
             repeat=lambda: [_partial(False)],
             clear=lambda: [_partial(True)], detail="Invalid signature"),
    Scenario("pool_unreachable", "Pool unreachable",
             setup=lambda: [_pool(True)],
             problem=lambda: [_pool(False, UPDATE, "timeout")],
             repeat=lambda: [_pool(False, UPDATE, "refused")],
             clear=lambda: [_pool(True, UPDATE)], detail="https://pool.example cannot be reached"),
    Scenario("copy_targets_full", "Every copy target full",
             setup=lambda: [event("copy_target", id="/mnt/t1", state=1)],
             problem=lambda: [event("copy_target", UPDATE, id="/mnt/t1", state=2)],
             repeat=lambda: [event("copy_target", id="/mnt/t2", state=2)],
             clear=lambda: [event("copy_target", UPDATE, id="/mnt/t2", state=1)], detail="no target with room"),
    Scenario("disk_failing", "Disk failing",
             setup=lambda: [_smart()],
             problem=lambda: [_smart(UPDATE, health=2)],
             repeat=lambda: [_smart(UPDATE, health=2, celsius=39.0)],
             clear=lambda: [_smart(UPDATE, celsius=39.0)], detail="/dev/sdb (ST16000NM001G-2KK103, serial ZL2ABC12) on"),
    Scenario("disk_hot", "Disk hot",
             setup=lambda: [_smart(celsius=40.0)],
             problem=lambda: [_smart(UPDATE, celsius=58.0)],
             repeat=lambda: [_smart(UPDATE, celsius=60.0)],
             clear=lambda: [_smart(UPDATE, celsius=45.0)], detail="is at 58 °C (alert at 55 °C)"),
    Scenario("proof_found", "Proof found", one_shot=True, names_harvester=True,
             problem=lambda: [event("proof", harvester_node_id=NODE, plot="plot-k32-abc.plot")], detail="plot-k32-abc.plot"),
    Scenario("block_found", "Block farmed", one_shot=True,
             problem=lambda: [event("block", height=4242, signage_point_index=7)], detail="farmed block 4242"),
    Scenario("copy_failed", "Copy failed", one_shot=True,
             setup=lambda: [event("copy_job", id="j1", plot="plot-k32-z.plot", target="/mnt/t1", state=2)],
             problem=lambda: [event("copy_job", UPDATE, id="j1", plot="plot-k32-z.plot", target="/mnt/t1", state=4, error="EIO")],
             detail="plot-k32-z.plot -> /mnt/t1"),
    Scenario("block_won", "Block won!", one_shot=True, setup=_wallet_history, problem=_block,
             repeat=lambda: [_tx(2, 1_750_000_000_000, new=False, event_type=UPDATE, confirmed_at_height=1)],
             detail="farmer reward of 0.25 XCH received"),
    Scenario("coins_received", "Coins received: 1.5 XCH", one_shot=True, setup=_wallet_history,
             problem=lambda: [_tx(0, 1_500_000_000_000)],
             repeat=lambda: [_tx(0, 1_500_000_000_000, new=False, event_type=UPDATE, confirmed_at_height=7)],
             detail="transfer or pool payout of 1.5 XCH"),
    Scenario("coins_sent", "Coins sent: 2 XCH", one_shot=True, setup=_wallet_history,
             problem=lambda: [_tx(1, 2 * 10**12, confirmed=False, fee_amount=10**8, to_address="xch1thief")],
             repeat=lambda: [_tx(1, 2 * 10**12, new=False, event_type=UPDATE, confirmed_at_height=9, to_address="xch1thief")],
             detail="transfer of 2 XCH to xch1thief, fee 0.0001 XCH (pending)"),
    Scenario("disk_reallocated_sectors", "Reallocated sectors growing", one_shot=True,
             setup=lambda: [_smart(reallocated=8)],
             problem=lambda: [_smart(UPDATE, reallocated=24)], detail="reallocated sectors 8 -> 24"),
]
STATEFUL = [s for s in SCENARIOS if not s.one_shot]
BY_ALERT = {s.alert: s for s in SCENARIOS}
