"""The full node: blockchain state (sync, peak, netspace) and the chain's height, which sets the plot
filter that the farming statistics judge the signage points to come with.

Its debug.log lines say which signage points arrived: while the daemon's events are not coming they
count the farm's signage points seen and skipped.
"""
from __future__ import annotations

from monitor.chia_consensus import plot_filter
from monitor.client.chia import payloads
from monitor.client.chia.logs import events as log_events
from monitor.client.chia.logs.signage import SignagePointCounter
from monitor.client.chia.rpc import ChiaRpc
from monitor.client.chia.services.base import ChiaService, ServiceContext
from protocol import chia_pb2, events_pb2


class FullNodeService(ChiaService):
    name = "full_node"
    topics = ("full_node",)

    def __init__(self, context: ServiceContext) -> None:
        super().__init__(context)
        self._state: chia_pb2.FullNode | None = None
        self._logged_signage = SignagePointCounter()

    async def poll(self, rpc: ChiaRpc) -> None:
        state = (await rpc.call("get_blockchain_state")).get("blockchain_state")
        self._state = payloads.full_node(payloads.as_dict(state), self.context.root.network)
        self._set_height(self._state.peak_height or None)

    def wallet_height(self, height: int | None) -> None:
        """The wallet's height stands in for the chain's while no full node answers."""
        if self._state is None:
            self._set_height(height)

    def _set_height(self, height: int | None) -> None:
        self.context.stats.plot_filter = plot_filter(self.context.root.network, height)

    def gone(self) -> None:
        self._state = None

    def contribute(self, snapshot: events_pb2.ComputerInfo) -> None:
        if self._state is not None:
            snapshot.full_node.CopyFrom(self._state)

    def log_event(self, event: log_events.LogEvent, daemon_connected: bool) -> None:
        if daemon_connected or not isinstance(event, log_events.SignagePointFinished | log_events.SubSlotFinished):
            return
        counter = self._logged_signage
        seen, skipped = counter.seen, counter.skipped
        if isinstance(event, log_events.SignagePointFinished):
            counter.signage_point(event.index, event.time)
        else:
            counter.sub_slot_finished(event.time)
        self.context.stats.logged_signage(event.time, counter.seen - seen, counter.skipped - skipped)
