"""chia_collectors composition and the debug.log fallback feeding the farming statistics."""
from __future__ import annotations

import asyncio
from pathlib import Path

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
