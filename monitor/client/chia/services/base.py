"""The seam between ChiaCollector and one chia service (chia-exporter's shape).

A service is polled by the collector's loop, is told when chia stopped it, hears the daemon events
it asked for and adds its own topics to the snapshot. What it knows stays inside it; what all of
them share (chia's config, the settings, the farming statistics, the collector's facts and wake-up)
comes in one ServiceContext.
"""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from google.protobuf.message import Message

from monitor.client.chia.chia_root import ChiaRoot
from monitor.client.chia.farming_stats import FarmingStats
from monitor.client.chia.logs.events import LogEvent
from monitor.client.chia.rpc import ChiaRpc
from monitor.client.chia.settings import ChiaSettings
from protocol import events_pb2

EventHandler = Callable[[dict[str, Any]], None]


@dataclass
class ServiceContext:
    settings: ChiaSettings
    root: ChiaRoot                   # chia's config as last read: the collector replaces it when it changes
    stats: FarmingStats
    clock: Callable[[], float]
    add_fact: Callable[[str, Message, float], None]
    wake: Callable[[], None]         # send a snapshot now, not at the next interval


class ChiaService:
    name = ""
    topics: tuple[str, ...] = ()     # the snapshot fields it fills (its chia_services row apart)
    plot_rows_version = 0            # bumped whenever the plot rows it adds change
    # a stopped service has nothing: once chia says it is stopped, its topics are known (empty).
    # False where it keeps what it said while stopped (the harvester's plot list)
    known_when_stopped = True

    def __init__(self, context: ServiceContext) -> None:
        self.context = context
        self.poll_soon: Callable[[], None] = lambda: None   # set by the collector: poll now, not at the next interval
        # it has said what it has since the client started (set by the collector); until then its
        # topics are unknown, and the server keeps what it had, instead of being told "all gone"
        self.answered = False

    async def poll(self, rpc: ChiaRpc) -> None:
        """Ask the service what changed; ServiceDown and RpcFailed tell the collector its state."""
        raise NotImplementedError

    def gone(self) -> None:
        """The service stopped (or chia is not installed): forget what it said."""

    def contribute(self, snapshot: events_pb2.ComputerInfo) -> None:
        """Its topics of the snapshot, plot rows apart."""

    def owns(self, field: str, entity: Message) -> bool:
        """Whether this entity of a field it fills is its own (where others fill the field too)."""
        return True

    def add_plot_rows(self, snapshot: events_pb2.ComputerInfo) -> None:
        """Its plot rows, asked for only when some service's rows changed since the last snapshot."""

    def events(self) -> dict[str, EventHandler]:
        """The daemon events it handles, by command."""
        return {}

    def changed(self, data: dict[str, Any]) -> None:
        """The handler of an event that only says something changed: a poll reads what."""
        self.poll_soon()

    def reconnected(self) -> None:
        """The daemon's events flow again: those sent meanwhile are lost, so ask again."""
        self.poll_soon()

    def log_event(self, event: LogEvent, daemon_connected: bool) -> None:
        """An event of chia's debug.log; the log only stands in for the daemon's events while they
        are not coming."""
