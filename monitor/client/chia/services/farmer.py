"""The farmer: every harvester it sees, its pools and partials, the problem plots of its harvesters,
and, from the daemon's events, the signage points and the harvesters' answers (farming statistics)
and the proofs it found.

The events drive what changes quickly (a signage point, an answer, a harvester leaving); polling
the harvester summary is the safety net for a missed event.
"""
from __future__ import annotations

from collections import Counter
from typing import Any

from monitor.client.chia import payloads
from monitor.client.chia.chia_root import node_id_hex
from monitor.client.chia.rpc import ChiaRpc
from monitor.client.chia.services.base import ChiaService, EventHandler, ServiceContext
from monitor.client.chia.services.harvester import HarvesterService
from protocol import chia_pb2, events_pb2


class FarmerService(ChiaService):
    name = "farmer"
    topics = ("harvesters", "farmer", "pools", "plots")

    def __init__(self, context: ServiceContext, local: HarvesterService) -> None:
        super().__init__(context)
        self._local = local                 # this machine's harvester: its own plot list covers its files
        self._farmer: chia_pb2.Farmer | None = None
        self._harvesters: dict[str, chia_pb2.Harvester] = {}    # what the farmer says about them, by node_id
        self._pools: list[chia_pb2.Pool] = []
        self._partials_seen: dict[tuple[str, str], Counter[float]] = {}
        self._proof_harvesters: dict[str, list[str]] = {}   # sp hash -> harvesters that found proofs
        # problem plots of every harvester the farmer sees, read from its paged endpoints when counts change
        self._problem_rows: dict[str, list[chia_pb2.Plot]] = {}
        self._problem_counts: dict[str, tuple[int, int, int]] = {}

    # ---- polling ---------------------------------------------------------------------------
    async def poll(self, rpc: ChiaRpc) -> None:
        now = self.context.clock()
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
        self._local.farmer_counts(harvester)

    async def _fetch_problem_plots(self, rpc: ChiaRpc, harvester: chia_pb2.Harvester) -> None:
        """The files behind a harvester's invalid / missing-key / duplicate counts, page by page,
        only when those counts changed. The local harvester's unreadable and foreign-key files come
        from its own plot list; duplicates only the farmer knows."""
        node_id = harvester.node_id
        counts = (harvester.invalid_plots, harvester.missing_key_plots, harvester.duplicate_plots)
        if self.context.settings.plot_rows == "none" or self._problem_counts.get(node_id) == counts:
            return
        rows = []
        for status, endpoint, count in ((chia_pb2.INVALID, "get_harvester_plots_invalid", counts[0]),
                                        (chia_pb2.MISSING_KEY, "get_harvester_plots_keys_missing", counts[1]),
                                        (chia_pb2.DUPLICATE, "get_harvester_plots_duplicates", counts[2])):
            if count and (node_id != self._local.node_id or status == chia_pb2.DUPLICATE):
                rows += [chia_pb2.Plot(id=f, harvester_node_id=node_id, filename=f, status=status)
                         for f in await self._paged_filenames(rpc, endpoint, node_id)]
        self._problem_rows[node_id] = rows
        self._problem_counts[node_id] = counts
        self.plot_rows_version += 1

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
            harvester.disconnected_since = self.context.clock()
            self.context.wake()

    def _forget_old_harvesters(self, now: float) -> None:
        for node_id, harvester in list(self._harvesters.items()):
            if not harvester.connected and now - harvester.disconnected_since > self.context.settings.forget_harvester_after:
                del self._harvesters[node_id]
                self._problem_rows.pop(node_id, None)
                self._problem_counts.pop(node_id, None)
                self.plot_rows_version += 1

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
                        self.context.add_fact("partial", chia_pb2.Partial(launcher_id=launcher, accepted=accepted,
                                                                          error=error), t)

    def gone(self) -> None:
        self._farmer = None
        self._pools = []
        self._problem_rows.clear()
        self._problem_counts.clear()
        for node_id in list(self._harvesters):
            self._harvester_left(node_id)

    # ---- daemon events -----------------------------------------------------------------------
    def events(self) -> dict[str, EventHandler]:
        return {"new_signage_point": self._signage_point, "new_farming_info": self._farming_info,
                "harvester_update": self._harvester_changed, "harvester_removed": self._harvester_removed,
                "proof": self._proof, "submitted_partial": self.changed,
                "add_connection": self.changed, "close_connection": self.changed}

    def _signage_point(self, data: dict[str, Any]) -> None:
        now = self.context.clock()
        sp = payloads.as_dict(data.get("signage_point"))
        sp_hash, challenge = node_id_hex(sp.get("challenge_chain_sp")), node_id_hex(sp.get("challenge_hash"))
        if sp_hash and challenge:
            connected = [h.node_id for h in self._harvesters.values() if h.connected]
            # a disconnected harvester misses every signage point until the farmer forgets it
            forget_after = self.context.settings.forget_harvester_after
            away = [h.node_id for h in self._harvesters.values()
                    if not h.connected and now - h.disconnected_since <= forget_after]
            self.context.stats.signage_point(sp_hash, challenge, payloads.as_int(sp.get("signage_point_index")),
                                             now, connected, away)
            if self._farmer is not None:
                self._farmer.last_signage_point_time = now

    def _farming_info(self, data: dict[str, Any]) -> None:
        now = self.context.clock()
        info = payloads.as_dict(data.get("farming_info"))
        node_id, sp_hash = node_id_hex(info.get("node_id")), node_id_hex(info.get("signage_point"))
        if not node_id or not sp_hash:
            return
        proofs = payloads.as_int(info.get("proofs"))
        self.context.stats.farming_info(node_id, sp_hash, now, payloads.as_int(info.get("lookup_time")) / 1e6,
                                        payloads.as_int(info.get("passed_filter")), proofs,
                                        payloads.as_int(info.get("total_plots")))
        harvester = self._harvesters.get(node_id)
        if harvester is not None:
            harvester.last_answer_time = now
        if proofs:
            self._proof_harvesters.setdefault(sp_hash, []).append(node_id)
            while len(self._proof_harvesters) > 64:
                del self._proof_harvesters[next(iter(self._proof_harvesters))]

    def _harvester_changed(self, data: dict[str, Any]) -> None:
        harvester = payloads.harvester_counts(data)
        if harvester is not None:
            self._harvester_update(harvester)
            self.poll_soon()          # its problem files may have changed

    def _harvester_removed(self, data: dict[str, Any]) -> None:
        self._harvester_left(node_id_hex(data.get("node_id")))

    def _proof(self, data: dict[str, Any]) -> None:
        """The farmer declared a proof to its full node (good enough for a block)."""
        proof = payloads.as_dict(data.get("proof"))
        sp_hash = node_id_hex(proof.get("challenge_chain_sp"))
        finders = self._proof_harvesters.get(sp_hash) or [""]
        pos = payloads.as_dict(proof.get("proof_of_space"))
        plot = node_id_hex(pos.get("plot_public_key") or pos.get("public_key"))
        self.context.add_fact("proof", chia_pb2.Proof(harvester_node_id=finders[0] if len(finders) == 1 else "",
                                                      signage_point=sp_hash, plot=plot), self.context.clock())

    # ---- snapshot ----------------------------------------------------------------------------
    def contribute(self, snapshot: events_pb2.ComputerInfo) -> None:
        snapshot.harvesters.extend(self._harvesters.values())
        if self._farmer is not None:
            self._farmer.harvesters_connected = sum(h.connected for h in self._harvesters.values())
            snapshot.farmer.CopyFrom(self._farmer)
        snapshot.pools.extend(self._pools)

    def owns(self, field: str, entity: Any) -> bool:
        """Of the plot rows, the other harvesters' problem files and duplicates (not the local list's)."""
        return field != "plots" or entity.harvester_node_id != self._local.node_id or entity.status == chia_pb2.DUPLICATE

    def add_plot_rows(self, snapshot: events_pb2.ComputerInfo) -> None:
        for rows in self._problem_rows.values():
            snapshot.plots.extend(rows)
