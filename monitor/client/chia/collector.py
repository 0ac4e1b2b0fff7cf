"""ChiaCollector: the farm's state from chia's RPC and daemon events.

Each chia service (monitor.client.chia.services) is polled by its own task, so a service that hangs
or is down never delays the others; `collect` only copies what the services last learned into the
snapshot. The daemon's events drive everything that changes quickly (signage points, harvester
answers, a harvester leaving) and say when the expensive answers (the harvester's full plot list)
must be fetched again; polling with summaries is the safety net for a missed event.
"""
from __future__ import annotations

import asyncio
import json
import logging
import time
from collections.abc import Callable

from monitor.client.chia.chia_root import ChiaRoot, config_stamp, default_chia_root
from monitor.client.chia.farming_stats import FarmingStats
from monitor.client.chia.logs import events as log_events
from monitor.client.chia.rpc import ChiaRpc, RpcFailed, ServiceDown
from monitor.client.chia.services.base import ChiaService, ServiceContext
from monitor.client.chia.services.daemon import DaemonListener
from monitor.client.chia.services.farmer import FarmerService
from monitor.client.chia.services.full_node import FullNodeService
from monitor.client.chia.services.harvester import HarvesterService
from monitor.client.chia.services.wallet import WalletService
from monitor.client.chia.settings import ChiaSettings
from monitor.client.collector import Collector, Kept
from monitor.waits import wait_event
from protocol import chia_pb2, events_pb2

log = logging.getLogger(__name__)


class ChiaCollector(Collector):
    name = "chia"
    topics = ("chia_services", "harvesters", "harvester_identities", "plots", "farmer", "full_node",
              "wallet", "wallet_transactions", "pools")

    def __init__(self, settings: ChiaSettings, clock: Callable[[], float] = time.time) -> None:
        super().__init__()
        self.settings = settings
        self._clock = clock
        self._root_path = default_chia_root(settings.root)
        self.stats = FarmingStats(settings.slow_lookup, settings.late_after)
        # wake: the client sets it after construction, so it is looked up when called
        self._context = ServiceContext(settings, ChiaRoot.load(self._root_path), self.stats, clock, self.add_fact,
                                       lambda: self.wake())
        harvester = HarvesterService(self._context)
        full_node = FullNodeService(self._context)
        self.wallet = WalletService(self._context, full_node)
        # the harvester's own plot rows go first in a snapshot, before the farmer's problem files
        self._services: tuple[ChiaService, ...] = (harvester, FarmerService(self._context, harvester), full_node,
                                                   self.wallet)
        self._wakeups = {service.name: asyncio.Event() for service in self._services}
        for service in self._services:
            service.poll_soon = self._wakeups[service.name].set
        self._rpc: dict[str, ChiaRpc] = {}
        self._states: dict[str, chia_pb2.ChiaService] = {}
        self._versions: dict[str, str] = {}
        self._plot_rows_sent: tuple[int, ...] | None = None   # the plot row versions the last snapshot carried
        self._tasks: list[asyncio.Task] = []
        self.daemon = DaemonListener(self._reload_root, self._services, clock=clock)
        self._proof_heard_at = 0.0                            # when the daemon's feed last reported a proof

    @property
    def root(self) -> ChiaRoot:
        return self._context.root

    # ---- one source per fact (debug.log asks) ---------------------------------------------
    def reports(self, kind: str, at: float) -> bool:
        """Whether the RPC side reports the proof or block that happened at `at`: the daemon's feed
        every proof while it is registered, the wallet every block after its first count."""
        coverage = {"proof": self.daemon.heard, "block": self.wallet.blocks}.get(kind)
        return coverage is not None and coverage.covers(at)

    def reported(self) -> dict[str, list[tuple[float, float]]]:
        """The periods whose proofs and blocks are facts here already (taken with the next snapshot):
        kept with debug.log's position, so lines read again after a restart are judged by them.
        They end at the last one reported: a checkpoint changes only when there is news."""
        return {"proof": self.daemon.heard.through(self._proof_heard_at), "block": self.wallet.blocks_counted()}

    def add_fact(self, topic: str, message, timestamp: float | None = None) -> None:
        super().add_fact(topic, message, timestamp)
        if topic == "proof":
            self._proof_heard_at = self._clock()

    # ---- kept across a restart ---------------------------------------------------------------
    def checkpoint(self) -> str:
        """The farming statistics not handed out yet, stored with the buckets taken last: a kill -9
        loses no signage point counted before the last snapshot."""
        return json.dumps(self.stats.state(), separators=(",", ":"))

    def restore(self, checkpoint: str) -> None:
        try:
            self.stats.restore(json.loads(checkpoint))
        except (ValueError, TypeError, KeyError) as exc:   # written by another version: start afresh
            log.warning("chia: the farming statistics kept at the last stop cannot be read (%s); starting afresh", exc)

    # ---- lifecycle -------------------------------------------------------------------------
    async def start(self) -> None:
        self._tasks = [asyncio.create_task(self.daemon.run(), name="chia-daemon")]
        for service in self._services:
            self._tasks.append(asyncio.create_task(self._poll_loop(service), name=f"chia-{service.name}"))

    async def stop(self) -> None:
        for task in self._tasks:
            task.cancel()
        if self._tasks:
            await asyncio.wait(self._tasks)   # not suppress(CancelledError): it would swallow this stop's own
        self._tasks = []
        for rpc in self._rpc.values():
            await rpc.close()
        self._rpc.clear()

    def _reload_root(self) -> ChiaRoot:
        """Re-read chia's config when it changed (ports, network), cheaply otherwise."""
        if config_stamp(self._root_path) == self.root.stamp:
            return self.root
        fresh = ChiaRoot.load(self._root_path)
        if fresh.config != self.root.config:     # new ports or certificates: new connections
            for rpc in self._rpc.values():
                asyncio.get_running_loop().create_task(rpc.close())
            self._rpc.clear()
        self._context.root = fresh
        return fresh

    # ---- polling ---------------------------------------------------------------------------
    async def _poll_loop(self, service: ChiaService) -> None:
        name, wakeup = service.name, self._wakeups[service.name]
        while True:
            wakeup.clear()
            root = self._reload_root()
            state, error = chia_pb2.RUNNING, ""
            if not root.installed:
                state = chia_pb2.NOT_INSTALLED
            else:
                rpc = self._rpc.get(name)
                if rpc is None:
                    rpc = self._rpc[name] = ChiaRpc(root, name, self.settings.rpc_timeout)
                try:
                    if name not in self._versions:
                        self._versions[name] = str((await rpc.call("get_version")).get("version", ""))
                    await service.poll(rpc)
                except ServiceDown:
                    state = chia_pb2.STOPPED
                except RpcFailed as exc:
                    state, error = chia_pb2.FAILING, str(exc)
                except Exception as exc:  # an odd payload: report it (with its traceback once), keep polling
                    state, error = chia_pb2.FAILING, f"{exc.__class__.__name__}: {exc}"[:300]
                    known = self._states.get(name)
                    if known is None or known.error != error:
                        log.exception("chia %s: polling failed", name)
            self._set_state(service, state, error)
            await wait_event(wakeup, self.settings.poll_interval)

    def _set_state(self, service: ChiaService, state: int, error: str) -> None:
        name = service.name
        previous = self._states.get(name)
        if previous is None or previous.state != state:
            level = logging.WARNING if state == chia_pb2.FAILING else logging.INFO
            log.log(level, "chia %s: %s%s", name, chia_pb2.ServiceState.Name(state), f" ({error})" if error else "")
        if state in (chia_pb2.STOPPED, chia_pb2.NOT_INSTALLED):
            # a FAILING service (slow, odd answers) keeps what it last said: a busy farmer that
            # times out once must not turn every harvester into "disconnected"
            self._versions.pop(name, None)
            service.gone()
        if state == chia_pb2.RUNNING or state == chia_pb2.NOT_INSTALLED or (
                state == chia_pb2.STOPPED and service.known_when_stopped):
            service.answered = True    # a FAILING first answer tells nothing of what it has
        self._states[name] = chia_pb2.ChiaService(
            id=name, state=state, version=self._versions.get(name, ""), rpc_port=self.root.rpc_port(name),
            error=error, log_level=self.root.log_level(name) if self.root.installed else "")

    # ---- debug.log fallback ----------------------------------------------------------------
    def log_event(self, event: log_events.LogEvent) -> None:
        """ChiaLogCollector's events: counted only while the daemon's events are not coming, so a
        signage point is never counted twice; they are all a machine has when its daemon is away."""
        for service in self._services:
            service.log_event(event, self.daemon.connected)

    # ---- snapshot ----------------------------------------------------------------------------
    async def collect(self, snapshot: events_pb2.ComputerInfo) -> Kept:
        """Returns what keeps its last state: what is not known yet, the plot rows when unchanged."""
        now = self._clock()
        if not self.root.installed:
            self._reload_root()
        if self.daemon.answered:
            daemon_state = chia_pb2.RUNNING if self.daemon.connected else (
                chia_pb2.STOPPED if self.root.installed else chia_pb2.NOT_INSTALLED)
            snapshot.chia_services.append(chia_pb2.ChiaService(
                id="daemon", state=daemon_state, rpc_port=self.root.rpc_port("daemon")))
        snapshot.chia_services.extend(self._states[s.name] for s in self._services if s.name in self._states)
        kept = self._unknown()
        # which services answered is part of the rows' version: one that answers later fills its share
        plot_rows = tuple((s.plot_rows_version, s.answered) for s in self._services)
        if plot_rows == self._plot_rows_sent:
            kept["plots"] = None  # 100k plot rows are not rebuilt and diffed every snapshot
        send_plot_rows = kept.get("plots", ...) is not None
        for service in self._services:
            service.contribute(snapshot)
            if send_plot_rows:
                service.add_plot_rows(snapshot)
        farming, signage = self.stats.flush(now)
        for bucket in farming:
            self.add_fact("farming", bucket, bucket.minute)
        for bucket in signage:
            self.add_fact("signage", bucket, bucket.minute)
        if send_plot_rows:
            self._plot_rows_sent = plot_rows  # last: a collect cut short sends them again
        return kept

    def _unknown(self) -> Kept:
        """What no source has answered for since the client started (right after a restart: the
        services not polled yet, the daemon not tried yet). Sent empty, it would tell the server
        that every service, harvester and plot is gone."""
        kept: Kept = {}
        silent_rows = {s.name for s in self._services if s.name not in self._states}
        if not self.daemon.answered:
            silent_rows.add("daemon")
        if silent_rows:
            kept["chia_services"] = lambda row: row.id in silent_rows
        for field in self.topics:
            fillers = [s for s in self._services if field in s.topics]
            silent = [s for s in fillers if not s.answered]
            if silent and len(silent) == len(fillers):
                kept[field] = None
            elif silent:
                kept[field] = lambda entity, field=field, silent=silent: any(s.owns(field, entity) for s in silent)
        return kept
