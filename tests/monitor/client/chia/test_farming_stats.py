"""Per harvester per minute farming buckets and farm-level signage buckets (words as in chia.md)."""
from __future__ import annotations

import pytest

from monitor.chia_consensus import plot_filter
from monitor.client.chia.collector import ChiaCollector
from monitor.client.chia.farming_stats import FarmingStats
from monitor.client.chia.settings import ChiaSettings

A, B = "a" * 64, "b" * 64
T0 = 1_800_000_000.0          # a minute boundary


def sp(stats, n, t, challenge="c1", index=None, connected=(A,)):
    stats.signage_point(f"sp{n}", challenge, n if index is None else index, t, connected)


def test_answered_late_missed_add_up_to_expected_and_slow_is_among_answered():
    stats = FarmingStats(slow_lookup=5.0, late_after=28.0)
    for n in range(4):
        sp(stats, n, T0 + n, connected=(A, B))
    stats.farming_info(A, "sp0", T0 + 0.5, lookup=0.2, eligible=2, proofs=1, total_plots=100)
    stats.farming_info(A, "sp1", T0 + 2, lookup=6.0, eligible=1, proofs=0, total_plots=100)    # slow
    stats.farming_info(A, "sp2", T0 + 2 + 30, lookup=0.3, eligible=0, proofs=0, total_plots=100)  # late
    stats.farming_info(B, "sp0", T0 + 1, lookup=0.1, eligible=0, proofs=0, total_plots=50)
    farming, signage = stats.flush(T0 + 200)
    by_node = {b.harvester_node_id: b for b in farming}
    a = by_node[A]
    assert (a.sp_expected, a.sp_answered, a.sp_late_28s, a.sp_missed, a.sp_late_5s) == (4, 2, 1, 1, 1)
    assert a.sp_answered + a.sp_late_28s + a.sp_missed == a.sp_expected
    assert (a.eligible_plots, a.proofs, a.total_plots, a.lookup_max) == (3, 1, 100, 6.0)
    assert a.minute == T0
    b = by_node[B]
    assert (b.sp_expected, b.sp_answered, b.sp_missed) == (4, 1, 3)
    assert [(s.minute, s.seen, s.skipped) for s in signage] == [(T0, 4, 0)]


def test_a_minute_is_handed_out_only_when_it_can_no_longer_change():
    stats = FarmingStats()
    sp(stats, 0, T0 + 50)
    assert stats.flush(T0 + 59) == ([], [])          # minute still running
    assert stats.flush(T0 + 70) == ([], [])          # its SP may still be answered
    stats.farming_info(A, "sp0", T0 + 75, lookup=0.1, eligible=0, proofs=0, total_plots=1)
    farming, signage = stats.flush(T0 + 76)          # everyone expected answered: settled
    assert [(b.sp_expected, b.sp_answered) for b in farming] == [(1, 1)]
    assert stats.flush(T0 + 500) == ([], [])         # handed out once


def test_lookup_percentiles():
    stats = FarmingStats()
    for n in range(6):
        sp(stats, n, T0 + n)
        stats.farming_info(A, f"sp{n}", T0 + n + 0.1, lookup=[0.1, 0.2, 0.3, 0.4, 0.5, 3.0][n],
                           eligible=0, proofs=0, total_plots=1)
    (bucket,), _ = stats.flush(T0 + 61)
    assert (bucket.lookup_p50, bucket.lookup_p95, bucket.lookup_max) == (0.3, 3.0, 3.0)


def test_index_gap_within_a_sub_slot_is_skipped_once():
    stats = FarmingStats()
    sp(stats, 1, T0 + 1)
    sp(stats, 2, T0 + 2)
    sp(stats, 8, T0 + 3)          # 3..7 never arrived
    sp(stats, 99, T0 + 4, index=5)  # a late 5 (reorg): seen now, not a new gap
    sp(stats, 100, T0 + 5, index=2)  # a duplicate index: not seen twice
    sp(stats, 9, T0 + 6)
    _, signage = stats.flush(T0 + 200)
    assert [(s.seen, s.skipped) for s in signage] == [(5, 5)]


def test_gap_across_sub_slots_uses_the_schedule():
    stats = FarmingStats()
    sp(stats, 1, T0 + 1, challenge="c1")
    sp(stats, 2, T0 + 1 + 9.375, challenge="c2", index=0)        # normal spacing: nothing skipped
    sp(stats, 3, T0 + 1 + 9.375 * 5, challenge="c3", index=0)    # 4 intervals later
    _, signage = stats.flush(T0 + 300)
    assert sum(s.skipped for s in signage) == 4
    assert sum(s.seen for s in signage) == 3


def test_answers_to_unknown_signage_points_are_ignored():
    stats = FarmingStats()
    stats.farming_info(A, "never-seen", T0, lookup=0.1, eligible=1, proofs=1, total_plots=1)
    assert stats.flush(T0 + 500) == ([], [])


@pytest.mark.parametrize("network, height, share", [   # the share as 1 in how many plots
    ("mainnet", 5_000_000, 512),
    ("mainnet", 5_496_000, 256),
    ("mainnet", 10_542_000, 128),
    ("mainnet", 15_592_000, 64),
    ("mainnet", 30_000_000, 32),
    ("testnet11", 16_200_000, 32),
    ("testnet11", 100, 256),
    ("someothernet", 100, None),
    ("mainnet", None, None),
])
def test_plot_filter_follows_network_and_height(network, height, share):
    assert plot_filter(network, height) == share


def test_expected_eligible_uses_the_filter_of_the_time_of_the_signage_point():
    stats = FarmingStats()
    stats.plot_filter = plot_filter("testnet11", 16_200_000)
    sp(stats, 0, T0)
    stats.farming_info(A, "sp0", T0 + 1, lookup=0.1, eligible=3, proofs=0, total_plots=64)
    stats.plot_filter = None      # unknown later: the SP keeps the filter it was seen with
    sp(stats, 1, T0 + 2)          # missed: expected from the plots last reported
    (bucket,), _ = stats.flush(T0 + 200)
    assert bucket.expected_eligible == 2.0 and bucket.eligible_plots == 3 and bucket.sp_missed == 1


def test_a_client_killed_mid_minute_loses_no_signage_point_count(tmp_path):
    """The chia collector's checkpoint (stored with the buckets taken last) carries the open minute and
    the signage points waiting for answers into the next run: the minute's bucket counts them all. A
    waiting one settles with the answers heard: the downtime is unknown, not missed, and not skipped."""
    settings = ChiaSettings(root=str(tmp_path / "no-chia"))
    before = ChiaCollector(settings)
    for n in range(3):
        sp(before.stats, n, T0 + 10 * n, connected=(A, B))
    stats_a = dict(lookup=0.2, eligible=1, proofs=0, total_plots=10)
    for n in range(3):
        before.stats.farming_info(A, f"sp{n}", T0 + 10 * n + 1, **stats_a)
    before.stats.farming_info(B, "sp0", T0 + 1, **stats_a)
    before.stats.flush(T0 + 45)                       # sp0 settled; sp1, sp2 wait for B
    checkpoint = before.checkpoint()                  # then kill -9

    after = ChiaCollector(settings)
    after.restore(checkpoint)
    sp(after.stats, 9, T0 + 50, challenge="c1", connected=(A, B))   # the next one heard: indexes 3..8 not skipped
    after.stats.farming_info(A, "sp9", T0 + 51, **stats_a)
    after.stats.farming_info(B, "sp9", T0 + 51, **stats_a)
    farming, signage = after.stats.flush(T0 + 61)
    by_node = {b.harvester_node_id: (b.sp_expected, b.sp_answered, b.sp_missed) for b in farming}
    assert by_node == {A: (4, 4, 0), B: (2, 2, 0)}
    assert [(s.minute, s.seen, s.skipped) for s in signage] == [(T0, 4, 0)]


def test_an_unreadable_farming_checkpoint_starts_afresh(tmp_path, caplog):
    collector = ChiaCollector(ChiaSettings(root=str(tmp_path / "no-chia")))
    collector.restore('{"harvesters": 3}')
    assert collector.stats.flush(T0 + 600) == ([], [])
    assert "starting afresh" in caplog.text
