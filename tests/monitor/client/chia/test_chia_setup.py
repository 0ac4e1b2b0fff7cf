"""chia_collectors composition and the debug.log fallback feeding the farming statistics."""
from __future__ import annotations

import asyncio

from monitor.client.chia.chia_root import ChiaRoot
from monitor.client.chia.collector import ChiaCollector
from monitor.client.chia.logs import events as ev
from monitor.client.chia.settings import ChiaSettings
from monitor.client.chia.setup import chia_collectors
from protocol import events_pb2

T0 = 1_800_000_000.0


def test_collectors_follow_the_settings(chia_root, tmp_path):
    root, _ = chia_root
    names = [c.name for c in chia_collectors(ChiaSettings(root=str(root)), tmp_path / "state")]
    assert names == ["chia", "chia_log"]
    collectors = chia_collectors(ChiaSettings(root=str(root), debug_log="off", plotter_logs=["/x/*.log"]), tmp_path)
    assert [c.name for c in collectors] == ["chia", "plotters"]
    log_collector = chia_collectors(ChiaSettings(root=str(root)), tmp_path / "state")[1]
    assert log_collector.debug_log == root / "log" / "debug.log"


def facts_after(collector: ChiaCollector, now: float) -> list[events_pb2.UpdateEvent]:
    collector._clock = lambda: now
    asyncio.run(collector.collect(events_pb2.ComputerInfo()))
    return collector.take_facts()


def test_log_lines_count_only_while_daemon_events_are_missing(chia_root):
    root, _ = chia_root
    collector = ChiaCollector(ChiaSettings(root=str(root)))
    answer = ev.HarvesterAnswer(time=T0 + 5, service="harvester", eligible=2, challenge="87b15ee553", proofs=1,
                                v2_qualities=0, lookup_seconds=6.5, total_plots=10)
    collector.log_event(answer)
    for index in (1, 2, 5):
        collector.log_event(ev.SignagePointFinished(time=T0 + index, service="full_node", index=index, of=64, cc="a", rc="b"))
    collector.daemon.connected = True          # events flowing: the same SPs must not count twice
    collector.log_event(answer)
    facts = facts_after(collector, T0 + 120)
    (farming,) = [f.farming for f in facts if f.HasField("farming")]
    assert farming.harvester_node_id == ChiaRoot.load(root).harvester_node_id()
    assert (farming.sp_expected, farming.sp_answered, farming.sp_late_5s, farming.proofs) == (1, 1, 1, 1)
    (signage,) = [f.signage for f in facts if f.HasField("signage")]
    assert (signage.seen, signage.skipped) == (3, 2)


def test_a_proof_or_block_is_one_fact_even_when_the_log_also_shows_it(chia_root, tmp_path):
    root, _ = chia_root
    chia, log_collector = chia_collectors(ChiaSettings(root=str(root)), tmp_path / "state")
    lines = (  # a real 2.7.5 harvester line, and the full node's block line as chia's source writes it
        b"2026-11-28T01:46:10.682 2.7.5 harvester chia.harvester.harvester: INFO     challenge_hash: 0c74ef3b38 ...2 plots "
        b"were eligible for farming challengeFound 1 V1 proofs and 0 V2 qualities. Time: 0.01189 s. Total 10 plots\n"
        b"2026-11-28T01:46:11.000 2.7.5 full_node chia.full_node.full_node: INFO     \xf0\x9f\x8d\x80 Farmed unfinished_block "
        + b"ab" * 32 + b", SP: 49, validation time: 0.01 seconds, pre_validation time 0.01, cost: 1, percent full: 0.1%\n")
    log_collector.handle(lines)
    assert {f.WhichOneof("payload") for f in log_collector.take_facts()} == {"proof", "block"}   # log only
    chia.daemon.heard.begin(T0 - 10**9)           # the daemon's feed and the wallet covered the moment
    chia.wallet.blocks.begin(T0 - 10**9)
    log_collector.handle(lines)
    assert log_collector.take_facts() == []       # the daemon and the wallet report these
