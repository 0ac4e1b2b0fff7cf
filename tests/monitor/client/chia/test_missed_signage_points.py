"""What a harvester misses (issue 14, point 8, the client's side): the signage points the full node
skipped, those that came while it was disconnected from its farmer (until the farmer forgets it),
and answers after chia's 28 s window. The farmer service is driven through its daemon-event
handlers, as the daemon feed drives it."""
from __future__ import annotations

import copy

from monitor.client.chia.chia_root import ChiaRoot
from monitor.client.chia.farming_stats import SP_INTERVAL, FarmingStats
from monitor.client.chia.services.base import ServiceContext
from monitor.client.chia.services.farmer import FarmerService
from monitor.client.chia.services.harvester import HarvesterService
from monitor.client.chia.settings import ChiaSettings
from tests.helpers.fake_chia import recorded

EVENTS = recorded("daemon-events-2.7.5.json")
A, B = "a1" * 32, "b2" * 32
T0 = 1_800_000_000.0          # a minute boundary


class Clock:
    def __init__(self) -> None:
        self.now = T0

    def __call__(self) -> float:
        return self.now


def farmer_with(chia_root, clock: Clock, *nodes: str, **settings) -> tuple[FarmerService, FarmingStats]:
    root, _ = chia_root
    stats = FarmingStats()
    context = ServiceContext(ChiaSettings(root=str(root), **settings), ChiaRoot.load(root), stats, clock,
                             lambda kind, message, t: None, lambda: None)
    farmer = FarmerService(context, HarvesterService(context))
    for node in nodes:
        connect(farmer, node)
    return farmer, stats


def connect(farmer: FarmerService, node: str) -> None:
    update = copy.deepcopy(EVENTS["harvester_update"]["data"])
    update["connection"]["node_id"] = "0x" + node
    update.update(plots=10, syncing=None)
    farmer.events()["harvester_update"](update)


def disconnect(farmer: FarmerService, node: str) -> None:
    farmer.events()["harvester_removed"]({"node_id": "0x" + node, "success": True})


def signage_point(farmer: FarmerService, n: int, index: int, challenge: str = "cc" * 32) -> None:
    data = copy.deepcopy(EVENTS["new_signage_point"]["data"])
    data["signage_point"].update(challenge_chain_sp="0x" + f"{n:064x}", challenge_hash="0x" + challenge,
                                 signage_point_index=index)
    farmer.events()["new_signage_point"](data)


def answer(farmer: FarmerService, n: int, node: str) -> None:
    data = copy.deepcopy(EVENTS["new_farming_info"]["data"])
    data["farming_info"].update(signage_point="0x" + f"{n:064x}", node_id="0x" + node, lookup_time=300_000,
                                proofs=0, passed_filter=0, total_plots=10)
    farmer.events()["new_farming_info"](data)


def totals(stats: FarmingStats, now: float) -> dict[str, tuple[int, int, int, int]]:
    """(expected, answered, missed, of them while disconnected) per harvester, over every bucket handed out."""
    found: dict[str, tuple[int, int, int, int]] = {}
    for bucket in stats.flush(now)[0]:
        e, a, m, d = found.get(bucket.harvester_node_id, (0, 0, 0, 0))
        found[bucket.harvester_node_id] = (e + bucket.sp_expected, a + bucket.sp_answered, m + bucket.sp_missed,
                                           d + bucket.sp_missed_disconnected)
    return found


def test_signage_points_the_node_skipped_are_missed_by_every_harvester(chia_root):
    clock = Clock()
    farmer, stats = farmer_with(chia_root, clock, A, B)
    for n, index in enumerate([1, 2, 3, 9, 10]):          # 4..8 never reached the farmer
        clock.now = T0 + n * SP_INTERVAL
        signage_point(farmer, n, index)
        answer(farmer, n, A)
        answer(farmer, n, B)
    assert totals(stats, T0 + 300) == {A: (10, 5, 5, 0), B: (10, 5, 5, 0)}


def test_a_disconnected_harvester_misses_every_signage_point_until_it_is_forgotten(chia_root):
    """200 s down: 21 signage points the farmer received, every one missed (it used to be 0 missed)."""
    clock = Clock()
    farmer, stats = farmer_with(chia_root, clock, A, B, forget_harvester_after=300)
    disconnect(farmer, B)
    for n in range(64):                                   # 64 x 9.375 s = 600 s
        clock.now = T0 + n * SP_INTERVAL
        if n == 22:                                       # back after 206 s (22 signage points later)
            connect(farmer, B)
        signage_point(farmer, n, n)
        answer(farmer, n, A)
        if n >= 22:
            answer(farmer, n, B)
    assert totals(stats, T0 + 1200) == {A: (64, 64, 0, 0), B: (64, 42, 22, 22)}


def test_a_harvester_forgotten_by_its_farmer_is_no_longer_expected(chia_root):
    clock = Clock()
    farmer, stats = farmer_with(chia_root, clock, A, B, forget_harvester_after=60)
    disconnect(farmer, B)
    for n in range(16):                                   # 150 s: B is expected for its first 60 s only
        clock.now = T0 + n * SP_INTERVAL
        signage_point(farmer, n, n)
        answer(farmer, n, A)
    assert totals(stats, T0 + 1200) == {A: (16, 16, 0, 0), B: (7, 0, 7, 7)}


def test_an_answer_after_the_28_s_window_is_not_answered():
    stats = FarmingStats(late_after=28.0)
    stats.signage_point("sp0", "c1", 0, T0, [A])
    stats.farming_info(A, "sp0", T0 + 40, lookup=0.2, eligible=0, proofs=0, total_plots=1)
    # the debug.log fallback sees the lookup time only: one that alone took over 28 s is late too
    stats.logged_answer(B, T0 + 1, lookup=31.0, eligible=1, proofs=0, total_plots=1)
    stats.logged_answer(B, T0 + 2, lookup=6.0, eligible=1, proofs=0, total_plots=1)
    by_node = {b.harvester_node_id: b for b in stats.flush(T0 + 300)[0]}
    assert (by_node[A].sp_answered, by_node[A].sp_late_28s) == (0, 1)
    assert (by_node[B].sp_expected, by_node[B].sp_answered, by_node[B].sp_late_28s, by_node[B].sp_late_5s) == (2, 1, 1, 1)
