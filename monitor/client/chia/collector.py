"""ChiaCollector: the farm's state from chia's RPC and daemon events.

Each chia service is polled by its own task, so a service that hangs or is down never delays the
others; `collect` only copies what the tasks last learned into the snapshot. The daemon's events
drive everything that changes quickly (signage points, harvester answers, a harvester leaving) and
say when the expensive answers (the harvester's full plot list) must be fetched again; polling
with summaries is the safety net for a missed event.
"""
from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import time
from collections import Counter
from collections.abc import Awaitable, Callable, Sequence
from typing import Any

from monitor.client.chia import payloads
from monitor.client.chia.chia_root import ChiaRoot, config_stamp, default_chia_root, node_id_hex
from monitor.client.chia.daemon import DaemonListener
from monitor.client.chia.farming_stats import FarmingStats, plot_filter
from monitor.client.chia.logs import events as log_events
from monitor.client.chia.logs.signage import SignagePointCounter
from monitor.client.chia.rpc import ChiaRpc, RpcFailed, ServiceDown
from monitor.client.chia.settings import ChiaSettings
from monitor.client.collector import Collector
from monitor.client.memory import release_freed_memory
from protocol import chia_pb2, events_pb2

log = logging.getLogger(__name__)

POLLED = ("farmer", "harvester", "full_node", "wallet")


def _mountpoint(directory: str, cache: dict[str, str]) -> str:
    """The mountpoint holding `directory` (cached per directory: a 100k-plot list has few)."""
    if directory not in cache:
        path = os.path.abspath(directory)
        while not os.path.ismount(path) and os.path.dirname(path) != path:
            path = os.path.dirname(path)
        cache[directory] = path
    return cache[directory]


class ChiaCollector(Collector):
    name = "chia"
    topics = ("chia_services", "harvesters", "harvester_identities", "plots", "farmer", "full_node",
              "wallet", "pools")

    def __init__(self, settings: ChiaSettings, clock: Callable[[], float] = time.time) -> None:
        super().__init__()
        self.settings = settings
        self._clock = clock
        self._root_path = default_chia_root(settings.root)
        self.root = ChiaRoot.load(self._root_path)
        self.stats = FarmingStats(settings.slow_lookup, settings.late_after)
        self._rpc: dict[str, ChiaRpc] = {}
        self._services: dict[str, chia_pb2.ChiaService] = {}
        self._versions: dict[str, str] = {}
        self._wakeups = {service: asyncio.Event() for service in POLLED}
        self._tasks: list[asyncio.Task] = []
        self.daemon = DaemonListener(self._reload_root, self._on_daemon_event, self._on_daemon_connected)
        # what the farmer says about its harvesters, by node_id
        self._harvesters: dict[str, chia_pb2.Harvester] = {}
        self._farmer: chia_pb2.Farmer | None = None
        self._pools: list[chia_pb2.Pool] = []
        self._partials_seen: dict[tuple[str, str], Counter[float]] = {}
        self._proof_harvesters: dict[str, list[str]] = {}   # sp hash -> harvesters that found proofs
        # problem plots of every harvester the farmer sees, read from its paged endpoints when counts change
        self._problem_rows: dict[str, list[chia_pb2.Plot]] = {}
        self._problem_counts: dict[str, tuple[int, int, int]] = {}
        # this machine's own harvester
        self._identity: chia_pb2.HarvesterIdentity | None = None
        # this harvester's plot rows, kept inside one message (100k plots: ~35 MB there, ~120 MB as
        # separate messages); once a snapshot carried them, that snapshot's copy, shared with the client
        self._plots: Sequence[chia_pb2.Plot] = events_pb2.ComputerInfo().plots
        self._plot_rows_version = 0      # bumped whenever a plot row list changes
        self._plot_rows_sent = -1        # the version the last snapshot carried
        self._valid_plots = 0
        self._plots_fetched_at = 0.0
        self._plots_stale = True
        self._full_node: chia_pb2.FullNode | None = None
        self._wallet: chia_pb2.Wallet | None = None
        self._blocks_won: int | None = None
        self._height: int | None = None
        self._logged_signage = SignagePointCounter()         # full node log lines, when events are missing
        self._local_node_id = self.root.harvester_node_id() or ""

    # ---- lifecycle -------------------------------------------------------------------------
    async def start(self) -> None:
        self._tasks = [asyncio.create_task(self.daemon.run(), name="chia-daemon")]
        polls: dict[str, Callable[[ChiaRpc], Awaitable[None]]] = {
            "farmer": self._poll_farmer, "harvester": self._poll_harvester,
            "full_node": self._poll_full_node, "wallet": self._poll_wallet}
        for service, poll in polls.items():
            self._tasks.append(asyncio.create_task(self._poll_loop(service, poll), name=f"chia-{service}"))

    async def stop(self) -> None:
        for task in self._tasks:
            task.cancel()
        for task in self._tasks:
            with contextlib.suppress(asyncio.CancelledError):
                await task
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
        self.root = fresh
        return self.root

    # ---- polling ---------------------------------------------------------------------------
    async def _poll_loop(self, service: str, poll: Callable[[ChiaRpc], Awaitable[None]]) -> None:
        wakeup = self._wakeups[service]
        while True:
            wakeup.clear()
            root = self._reload_root()
            state, error = chia_pb2.RUNNING, ""
            if not root.installed:
                state = chia_pb2.NOT_INSTALLED
            else:
                rpc = self._rpc.get(service)
                if rpc is None:
                    rpc = self._rpc[service] = ChiaRpc(root, service, self.settings.rpc_timeout)
                try:
                    if service not in self._versions:
                        self._versions[service] = str((await rpc.call("get_version")).get("version", ""))
                    await poll(rpc)
                except ServiceDown:
                    state = chia_pb2.STOPPED
                except RpcFailed as exc:
                    state, error = chia_pb2.FAILING, str(exc)
                except Exception as exc:  # an odd payload: report it (with its traceback once), keep polling
                    state, error = chia_pb2.FAILING, f"{exc.__class__.__name__}: {exc}"[:300]
                    known = self._services.get(service)
                    if known is None or known.error != error:
                        log.exception("chia %s: polling failed", service)
            self._set_service(service, state, error)
            with contextlib.suppress(asyncio.TimeoutError):
                await asyncio.wait_for(wakeup.wait(), self.settings.poll_interval)

    def _set_service(self, service: str, state: int, error: str) -> None:
        previous = self._services.get(service)
        if previous is None or previous.state != state:
            level = logging.WARNING if state == chia_pb2.FAILING else logging.INFO
            log.log(level, "chia %s: %s%s", service, chia_pb2.ServiceState.Name(state), f" ({error})" if error else "")
        if state in (chia_pb2.STOPPED, chia_pb2.NOT_INSTALLED):
            # a FAILING service (slow, odd answers) keeps what it last said: a busy farmer that
            # times out once must not turn every harvester into "disconnected"
            self._versions.pop(service, None)
            self._service_gone(service)
        self._services[service] = chia_pb2.ChiaService(
            id=service, state=state, version=self._versions.get(service, ""), rpc_port=self.root.rpc_port(service),
            error=error, log_level=self.root.log_level(service) if self.root.installed else "")

    def _service_gone(self, service: str) -> None:
        if service == "farmer":
            self._farmer = None
            self._pools = []
            self._problem_rows.clear()
            self._problem_counts.clear()
            for node_id in list(self._harvesters):
                self._harvester_left(node_id)
        elif service == "harvester":
            self._identity = None
            self._plots_stale = True       # it may come back with other plots
        elif service == "full_node":
            self._full_node = None
        elif service == "wallet":
            self._wallet = None

    def _poke(self, service: str) -> None:
        self._wakeups[service].set()

    async def _poll_farmer(self, rpc: ChiaRpc) -> None:
        now = self._clock()
        summary = await rpc.call("get_harvesters_summary")
        present = set()
        for entry in summary.get("harvesters") or []:
            harvester = payloads.harvester_counts(entry) if isinstance(entry, dict) else None
            if harvester is not None:
                present.add(harvester.node_id)
                self._harvester_update(harvester)
        for node_id in set(self._harvesters) - present:
            self._harvester_left(node_id)
        self._forget_old_harvesters(now)
        for node_id in present:
            await self._fetch_problem_plots(rpc, self._harvesters[node_id])
        connections = (await rpc.call("get_connections")).get("connections") or []
        full_node_connected = any(isinstance(c, dict) and c.get("type") == 1 for c in connections)
        last_sp = self._farmer.last_signage_point_time if self._farmer else 0.0
        self._farmer = chia_pb2.Farmer(
            running=True, harvesters_connected=sum(h.connected for h in self._harvesters.values()),
            full_node_connected=full_node_connected, last_signage_point_time=last_sp)
        pool_state = (await rpc.call("get_pool_state")).get("pool_state") or []
        self._pools = [p for p in (payloads.pool(s, now) for s in pool_state if isinstance(s, dict)) if p]
        self._record_partials(pool_state)

    def _harvester_update(self, harvester: chia_pb2.Harvester) -> None:
        known = self._harvesters.get(harvester.node_id)
        if known is not None:
            harvester.last_answer_time = known.last_answer_time
        self._harvesters[harvester.node_id] = harvester
        if harvester.node_id == self._local_node_id and not harvester.syncing and self._local_counts_changed(harvester):
            self._plots_stale = True          # our own harvester, as its farmer sees it: re-read its list
            self._poke("harvester")

    def _local_counts_changed(self, harvester: chia_pb2.Harvester) -> bool:
        rows = [p.status for p in self._plots]
        return (harvester.plots, harvester.invalid_plots, harvester.missing_key_plots) != (
            self._valid_plots, rows.count(chia_pb2.INVALID), rows.count(chia_pb2.MISSING_KEY)) and self.settings.plot_rows != "none"

    async def _fetch_problem_plots(self, rpc: ChiaRpc, harvester: chia_pb2.Harvester) -> None:
        """The files behind a harvester's invalid / missing-key / duplicate counts, page by page,
        only when those counts changed. The local harvester's unreadable and foreign-key files come
        from its own plot list; duplicates only the farmer knows."""
        node_id = harvester.node_id
        counts = (harvester.invalid_plots, harvester.missing_key_plots, harvester.duplicate_plots)
        if self.settings.plot_rows == "none" or self._problem_counts.get(node_id) == counts:
            return
        rows = []
        for status, endpoint, count in ((chia_pb2.INVALID, "get_harvester_plots_invalid", counts[0]),
                                        (chia_pb2.MISSING_KEY, "get_harvester_plots_keys_missing", counts[1]),
                                        (chia_pb2.DUPLICATE, "get_harvester_plots_duplicates", counts[2])):
            if count and (node_id != self._local_node_id or status == chia_pb2.DUPLICATE):
                rows += [chia_pb2.Plot(id=f, harvester_node_id=node_id, filename=f, status=status)
                         for f in await self._paged_filenames(rpc, endpoint, node_id)]
        self._problem_rows[node_id] = rows
        self._problem_counts[node_id] = counts
        self._plot_rows_version += 1

    @staticmethod
    async def _paged_filenames(rpc: ChiaRpc, endpoint: str, node_id: str, page_size: int = 500,
                               max_pages: int = 20) -> list[str]:
        names: list[str] = []
        for page in range(max_pages):
            answer = await rpc.call(endpoint, {"node_id": "0x" + node_id, "page": page, "page_size": page_size,
                                               "filter": [], "reverse": False})
            names += [f for f in answer.get("plots") or [] if isinstance(f, str)]
            if page + 1 >= payloads.as_int(answer.get("page_count")):
                break
        return names

    def _harvester_left(self, node_id: str) -> None:
        harvester = self._harvesters.get(node_id)
        if harvester is not None and harvester.connected:
            harvester.connected = False
            harvester.disconnected_since = self._clock()
            self.wake()

    def _forget_old_harvesters(self, now: float) -> None:
        for node_id, harvester in list(self._harvesters.items()):
            if not harvester.connected and now - harvester.disconnected_since > self.settings.forget_harvester_after:
                del self._harvesters[node_id]
                self._problem_rows.pop(node_id, None)
                self._problem_counts.pop(node_id, None)
                self._plot_rows_version += 1

    def _record_partials(self, pool_state: list) -> None:
        """Partials the farmer recorded since the last poll become facts with their own time."""
        for state in pool_state:
            if not isinstance(state, dict):
                continue
            launcher = node_id_hex(payloads.as_dict(state.get("pool_config")).get("launcher_id")
                                   or state.get("p2_singleton_puzzle_hash"))
            for name, (accepted, error) in payloads.PARTIAL_LISTS.items():
                times = Counter(float(e[0]) for e in state.get(name) or []
                                if isinstance(e, list | tuple) and e and isinstance(e[0], int | float))
                previous = self._partials_seen.get((launcher, name))
                self._partials_seen[(launcher, name)] = times
                if previous is None:
                    continue                 # first look: these happened before we started
                for t, count in sorted((times - previous).items()):  # entries age out only at the front
                    for _ in range(count):
                        self.add_fact("partial", chia_pb2.Partial(launcher_id=launcher, accepted=accepted,
                                                                  error=error), t)

    async def _poll_harvester(self, rpc: ChiaRpc) -> None:
        now = self._clock()
        node_id = self.root.harvester_node_id()
        self._local_node_id = node_id or ""
        if self._plots_stale or now - self._plots_fetched_at > self.settings.plot_list_interval:
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
        """The full plot list (about 600 bytes of JSON per plot), shrunk while it is parsed.

        Valid plots become rows only with plot_rows "all"; otherwise they are just counted, so a
        100k-plot harvester costs memory and CPU only while its list is read.
        """
        mounts: dict[str, str] = {}
        rows = self.settings.plot_rows

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
        self._plot_rows_version += 1
        log.info("chia harvester: plot list read (%d valid, %d unreadable or without key)", self._valid_plots,
                 len(answer.get("failed_to_open_filenames") or []) + len(answer.get("not_found_filenames") or []))

    async def _poll_full_node(self, rpc: ChiaRpc) -> None:
        state = (await rpc.call("get_blockchain_state")).get("blockchain_state")
        self._full_node = payloads.full_node(payloads.as_dict(state), self.root.network)
        self._set_height(self._full_node.peak_height or None)

    async def _poll_wallet(self, rpc: ChiaRpc) -> None:
        sync = await rpc.call("get_sync_status")
        height = await self._optional(rpc, "get_height_info")
        farmed = await self._optional(rpc, "get_farmed_amount")
        self._wallet = payloads.wallet(sync, height, farmed)
        if self._full_node is None:
            self._set_height(self._wallet.height or None)
        if farmed:
            won = self._wallet.blocks_won
            if self._blocks_won is not None and won > self._blocks_won:
                block_time = payloads.as_float(farmed.get("last_time_farmed")) or self._clock()
                self.add_fact("block", chia_pb2.BlockFarmed(height=self._wallet.last_height_farmed), block_time)
            self._blocks_won = won

    @property
    def reports_blocks(self) -> bool:
        """The wallet answers get_farmed_amount: blocks farmed come from it."""
        return self._blocks_won is not None

    @staticmethod
    async def _optional(rpc: ChiaRpc, endpoint: str) -> dict[str, Any]:
        """A call whose failure (wallet not logged in, older chia) only leaves its fields empty."""
        try:
            return await rpc.call(endpoint)
        except RpcFailed:
            return {}

    def _set_height(self, height: int | None) -> None:
        self._height = height
        self.stats.plot_filter = plot_filter(self.root.network, height)

    # ---- daemon events ---------------------------------------------------------------------
    def _on_daemon_connected(self, up: bool) -> None:
        if up:  # events may have been lost while we were away: re-read summaries and plots
            self._plots_stale = True
            for service in POLLED:
                self._poke(service)

    def _on_daemon_event(self, command: str, data: dict[str, Any]) -> None:
        now = self._clock()
        if command == "new_signage_point":
            sp = payloads.as_dict(data.get("signage_point"))
            sp_hash, challenge = node_id_hex(sp.get("challenge_chain_sp")), node_id_hex(sp.get("challenge_hash"))
            if sp_hash and challenge:
                connected = [h.node_id for h in self._harvesters.values() if h.connected]
                self.stats.signage_point(sp_hash, challenge, payloads.as_int(sp.get("signage_point_index")), now, connected)
                if self._farmer is not None:
                    self._farmer.last_signage_point_time = now
        elif command == "new_farming_info":
            self._farming_info(payloads.as_dict(data.get("farming_info")), now)
        elif command == "harvester_update":
            harvester = payloads.harvester_counts(data)
            if harvester is not None:
                self._harvester_update(harvester)
                self._poke("farmer")          # its problem files may have changed
        elif command == "harvester_removed":
            self._harvester_left(node_id_hex(data.get("node_id")))
        elif command == "proof":
            self._proof(payloads.as_dict(data.get("proof")), now)
        elif command == "farming_info":      # from this machine's harvester: did its plot count change?
            if payloads.as_int(data.get("total_plots")) != self._valid_plots:
                self._plots_stale = True
                self._poke("harvester")
        elif command == "submitted_partial":
            self._poke("farmer")
        elif command in ("add_connection", "close_connection"):
            self._poke("farmer")
            self._poke("harvester")

    def _farming_info(self, info: dict, now: float) -> None:
        node_id, sp_hash = node_id_hex(info.get("node_id")), node_id_hex(info.get("signage_point"))
        if not node_id or not sp_hash:
            return
        proofs = payloads.as_int(info.get("proofs"))
        self.stats.farming_info(node_id, sp_hash, now, payloads.as_int(info.get("lookup_time")) / 1e6,
                                payloads.as_int(info.get("passed_filter")), proofs, payloads.as_int(info.get("total_plots")))
        harvester = self._harvesters.get(node_id)
        if harvester is not None:
            harvester.last_answer_time = now
        if proofs:
            self._proof_harvesters.setdefault(sp_hash, []).append(node_id)
            while len(self._proof_harvesters) > 64:
                del self._proof_harvesters[next(iter(self._proof_harvesters))]

    def _proof(self, proof: dict, now: float) -> None:
        """The farmer declared a proof to its full node (good enough for a block)."""
        sp_hash = node_id_hex(proof.get("challenge_chain_sp"))
        finders = self._proof_harvesters.get(sp_hash) or [""]
        pos = payloads.as_dict(proof.get("proof_of_space"))
        plot = node_id_hex(pos.get("plot_public_key") or pos.get("public_key"))
        self.add_fact("proof", chia_pb2.Proof(harvester_node_id=finders[0] if len(finders) == 1 else "",
                                              signage_point=sp_hash, plot=plot), now)

    # ---- debug.log fallback ----------------------------------------------------------------
    def log_event(self, event: log_events.LogEvent) -> None:
        """ChiaLogCollector's events: counted only while the daemon's events are not coming, so a
        signage point is never counted twice; they are all a machine has when its daemon is away."""
        if isinstance(event, log_events.UnreadablePlot | log_events.PlotKeyMissing | log_events.PlotRefresh):
            if not isinstance(event, log_events.PlotRefresh) or event.loaded or event.removed:
                self._plots_stale = True      # the local harvester's plot list changed
                self._poke("harvester")
        if self.daemon.connected:
            return
        if isinstance(event, log_events.HarvesterAnswer) and self._local_node_id:
            self.stats.logged_answer(self._local_node_id, event.time, event.lookup_seconds, event.eligible,
                                     event.proofs, event.total_plots)
        elif isinstance(event, log_events.SignagePointFinished | log_events.SubSlotFinished):
            counter = self._logged_signage
            seen, skipped = counter.seen, counter.skipped
            if isinstance(event, log_events.SignagePointFinished):
                counter.signage_point(event.index, event.time)
            else:
                counter.sub_slot_finished(event.time)
            self.stats.logged_signage(event.time, counter.seen - seen, counter.skipped - skipped)

    # ---- snapshot ----------------------------------------------------------------------------
    async def collect(self, snapshot: events_pb2.ComputerInfo) -> set[str]:
        now = self._clock()
        if not self.root.installed:
            self._reload_root()
        daemon_state = chia_pb2.RUNNING if self.daemon.connected else (
            chia_pb2.STOPPED if self.root.installed else chia_pb2.NOT_INSTALLED)
        snapshot.chia_services.append(chia_pb2.ChiaService(
            id="daemon", state=daemon_state, rpc_port=self.root.rpc_port("daemon")))
        snapshot.chia_services.extend(self._services[s] for s in POLLED if s in self._services)
        snapshot.harvesters.extend(self._harvesters.values())
        if self._identity is not None:
            snapshot.harvester_identities.append(self._identity)
        unchanged = set()
        if self._plot_rows_version == self._plot_rows_sent:
            unchanged.add("plots")  # 100k plot rows are not rebuilt and diffed every snapshot
        else:
            own_rows = len(self._plots)
            snapshot.plots.extend(self._plots)
            for rows in self._problem_rows.values():
                snapshot.plots.extend(rows)
        if self._farmer is not None:
            self._farmer.harvesters_connected = sum(h.connected for h in self._harvesters.values())
            snapshot.farmer.CopyFrom(self._farmer)
        if self._full_node is not None:
            snapshot.full_node.CopyFrom(self._full_node)
        if self._wallet is not None:
            snapshot.wallet.CopyFrom(self._wallet)
        snapshot.pools.extend(self._pools)
        farming, signage = self.stats.flush(now)
        for bucket in farming:
            self.add_fact("farming", bucket, bucket.minute)
        for bucket in signage:
            self.add_fact("signage", bucket, bucket.minute)
        if "plots" not in unchanged:
            # keep the snapshot's copy (the client keeps it as its base) instead of a second one
            self._plots = snapshot.plots[:own_rows]
        self._plot_rows_sent = self._plot_rows_version  # last: a collect cut short sends them again
        return unchanged
