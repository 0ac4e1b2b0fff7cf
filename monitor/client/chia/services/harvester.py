"""This machine's own harvester: its identity (node_id, plot directories) and its plot rows.

The full plot list is the most expensive answer chia gives (about 600 bytes of JSON per plot), so it
is read again only when something says it changed (the farmer's counts for this harvester, the
harvester's own farming_info, debug.log's plot refreshes, the daemon coming back) and, as the safety
net, every plot_list_interval.
"""
from __future__ import annotations

import logging
import os
from collections.abc import Sequence
from typing import Any

from google.protobuf.message import Message

from monitor.client.chia import payloads
from monitor.client.chia.logs import events as log_events
from monitor.client.chia.rpc import ChiaRpc
from monitor.client.chia.services.base import ChiaService, EventHandler, ServiceContext
from monitor.client.memory import release_freed_memory
from protocol import chia_pb2, events_pb2

log = logging.getLogger(__name__)


def _mountpoint(directory: str, cache: dict[str, str]) -> str:
    """The mountpoint holding `directory` (cached per directory: a 100k-plot list has few)."""
    if directory not in cache:
        path = os.path.abspath(directory)
        while not os.path.ismount(path) and os.path.dirname(path) != path:
            path = os.path.dirname(path)
        cache[directory] = path
    return cache[directory]


class HarvesterService(ChiaService):
    name = "harvester"
    topics = ("harvester_identities", "plots")
    known_when_stopped = False      # its plot list stays while it is stopped: it may come back with it

    def __init__(self, context: ServiceContext) -> None:
        super().__init__(context)
        self.node_id = context.root.harvester_node_id() or ""     # as its farmer knows it
        self._identity: chia_pb2.HarvesterIdentity | None = None
        # plot rows, kept inside one message (100k plots: ~35 MB there, ~120 MB as separate messages);
        # once a snapshot carried them, that snapshot's copy, shared with the client
        self._plots: Sequence[chia_pb2.Plot] = events_pb2.ComputerInfo().plots
        self._valid_plots = 0
        self._plots_fetched_at = 0.0
        self._plots_stale = True

    def refresh(self) -> None:
        """The plot list changed: read it again now."""
        self._plots_stale = True
        self.poll_soon()

    async def poll(self, rpc: ChiaRpc) -> None:
        now = self.context.clock()
        node_id = self.context.root.harvester_node_id()
        self.node_id = node_id or ""
        if self._plots_stale or now - self._plots_fetched_at > self.context.settings.plot_list_interval:
            directories = (await rpc.call("get_plot_directories")).get("directories") or []
            if node_id:
                self._identity = chia_pb2.HarvesterIdentity(
                    id=node_id, node_id=node_id, plot_directories=[d for d in directories if isinstance(d, str)])
            await self._fetch_plots(rpc, node_id or "")
            release_freed_memory()  # the plot list's JSON (about 60 MB at 100k plots) is gone now
            self._plots_fetched_at = now
            self._plots_stale = False
        else:
            await rpc.call("healthz")

    async def _fetch_plots(self, rpc: ChiaRpc, node_id: str) -> None:
        """The full plot list, shrunk while it is parsed.

        Valid plots become rows only with plot_rows "all"; otherwise they are just counted, so a
        100k-plot harvester costs memory and CPU only while its list is read.
        """
        mounts: dict[str, str] = {}
        rows = self.context.settings.plot_rows

        def compact(entry: dict) -> Any:
            if "plot_id" not in entry:
                return entry
            if rows != "all":
                return True
            plot = payloads.plot_from_rpc(entry, node_id)
            if plot is not None:
                plot.disk = _mountpoint(os.path.dirname(plot.filename), mounts)
            return plot

        answer = await rpc.call("get_plots", object_hook=compact)
        valid = [p for p in answer.get("plots") or [] if p is True or isinstance(p, chia_pb2.Plot)]
        self._valid_plots = len(valid)
        plots = [p for p in valid if isinstance(p, chia_pb2.Plot)]
        if rows != "none":
            for status, key in ((chia_pb2.INVALID, "failed_to_open_filenames"), (chia_pb2.MISSING_KEY, "not_found_filenames")):
                for filename in answer.get(key) or []:
                    if isinstance(filename, str):
                        plots.append(chia_pb2.Plot(id=filename, harvester_node_id=node_id, filename=filename,
                                                   status=status, disk=_mountpoint(os.path.dirname(filename), mounts)))
        holder = events_pb2.ComputerInfo()
        holder.plots.extend(plots)
        self._plots = holder.plots
        self.plot_rows_version += 1
        log.info("chia harvester: plot list read (%d valid, %d unreadable or without key)", self._valid_plots,
                 len(answer.get("failed_to_open_filenames") or []) + len(answer.get("not_found_filenames") or []))

    def farmer_counts(self, harvester: chia_pb2.Harvester) -> None:
        """A harvester as the farmer counts it: when it is this one and the counts disagree with our
        plot list, read the list again."""
        if harvester.node_id == self.node_id and not harvester.syncing and self._counts_differ(harvester):
            self.refresh()

    def _counts_differ(self, harvester: chia_pb2.Harvester) -> bool:
        rows = [p.status for p in self._plots]
        return (harvester.plots, harvester.invalid_plots, harvester.missing_key_plots) != (
            self._valid_plots, rows.count(chia_pb2.INVALID), rows.count(chia_pb2.MISSING_KEY)
        ) and self.context.settings.plot_rows != "none"

    def gone(self) -> None:
        self._identity = None
        self._plots_stale = True       # it may come back with other plots

    def contribute(self, snapshot: events_pb2.ComputerInfo) -> None:
        if self._identity is not None:
            snapshot.harvester_identities.append(self._identity)

    def owns(self, field: str, entity: Message) -> bool:
        """Of the plot rows, its own files (the farmer reports duplicates and the other harvesters')."""
        return field != "plots" or (entity.harvester_node_id == self.node_id and entity.status != chia_pb2.DUPLICATE)

    def add_plot_rows(self, snapshot: events_pb2.ComputerInfo) -> None:
        first = len(snapshot.plots)
        snapshot.plots.extend(self._plots)
        # keep the snapshot's copy (the client keeps it as its base) instead of a second one
        self._plots = snapshot.plots[first:]

    def events(self) -> dict[str, EventHandler]:
        return {"farming_info": self._farming_info, "add_connection": self.changed, "close_connection": self.changed}

    def _farming_info(self, data: dict[str, Any]) -> None:
        """This harvester answered a signage point: did its plot count change?"""
        if payloads.as_int(data.get("total_plots")) != self._valid_plots:
            self.refresh()

    def reconnected(self) -> None:
        self.refresh()

    def log_event(self, event: log_events.LogEvent, daemon_connected: bool) -> None:
        if isinstance(event, log_events.UnreadablePlot | log_events.PlotKeyMissing | log_events.PlotRefresh):
            if not isinstance(event, log_events.PlotRefresh) or event.loaded or event.removed:
                self.refresh()
        elif isinstance(event, log_events.HarvesterAnswer) and self.node_id and not daemon_connected:
            self.context.stats.logged_answer(self.node_id, event.time, event.lookup_seconds, event.eligible,
                                             event.proofs, event.total_plots)
