"""Chia's older line shapes (issue 14, point 12), reconstructed from the team's chia reference, and
signage point lines that do not parse: the summary and the collector call them not understood
(blind), never skipped signage points."""
from __future__ import annotations

import asyncio
import io
import logging
import time
from datetime import datetime, timedelta
from pathlib import Path

from monitor.client.chia.logs import events as ev
from monitor.client.chia.logs.parser import ChiaLogParser
from monitor.client.chia.logs.replay import replay
from monitor.client.chia.settings import ChiaSettings
from monitor.client.chia.setup import chia_collectors
from protocol import events_pb2

CC = "3c2d4e5f60718293a4b5c6d7e8f90a1b2c3d4e5f6a7b8c9d0e1f2a3b4c5d6e7f"
RC = "9f8e7d6c5b4a39281706f5e4d3c2b1a09f8e7d6c5b4a39281706f5e4d3c2b1a0"
START = datetime(2022, 3, 1, 10, 0, 0)
NODE = "2022-03-01T10:00:00.000 full_node chia.full_node.full_node: INFO     "


def stamp(when: datetime) -> str:
    return when.isoformat(timespec="milliseconds")


def local(text: str) -> float:
    return time.mktime(time.strptime(text[:19], "%Y-%m-%dT%H:%M:%S")) + float("0" + text[19:23])


def parse(line: str) -> ev.LogEvent | None:
    return ChiaLogParser().parse_line(line)


def test_finished_signage_point_without_cc_and_rc() -> None:
    event = parse(f"{NODE}⏲️  Finished signage point 7/64: {CC}")
    assert event == ev.SignagePointFinished(local(NODE), "full_node", index=7, of=64, cc=CC, rc="")


def test_plot_refresh_counted_in_plots() -> None:
    harvester = "2022-03-01T10:00:00.000 harvester chia.harvester.harvester: INFO     _plot_refresh_callback: "
    done = parse(f"{harvester}event done, loaded 3 plots, removed 1 plots, processed 120 plots, remaining 0 plots, "
                 f"duration: 0.52 seconds, total plots: 122")
    assert done == ev.PlotRefresh(local(harvester), "harvester", event="done", loaded=3, removed=1, processed=120,
                                  remaining=0, duration=0.52, total_plots=122)
    bare = parse(f"{harvester}loaded 2 plots, removed 0 plots, processed 2 plots, remaining 0 plots, "
                 f"duration: 0.10 seconds")
    assert bare == ev.PlotRefresh(local(harvester), "harvester", event="done", loaded=2, removed=0, processed=2,
                                  remaining=0, duration=0.10, total_plots=-1)


def test_connected_with_a_peer_written_as_a_dict() -> None:
    line = "2022-03-01T10:00:00.000 farmer farmer_server              : INFO     Connected with full_node {'host': '10.0.0.5', 'port': 8444}"
    assert parse(line) == ev.PeerConnected(local(line), "farmer", peer_type="full_node", ip="10.0.0.5", port=8444)


def node_log(sub_slots: int, signage_point: str) -> str:
    """`sub_slots` sub-slots of a full node that missed nothing: 63 signage points each, then its end."""
    lines, t = [], START
    for _ in range(sub_slots):
        for index in range(1, 64):
            t += timedelta(seconds=9.375)
            lines.append(f"{stamp(t)} full_node chia.full_node.full_node: INFO     ⏲️  "
                         + signage_point.format(index=index, cc=CC, rc=RC) + "\n")
        t += timedelta(seconds=9.375)
        lines.append(f"{stamp(t)} full_node chia.full_node.full_node: INFO     ⏲️  Finished sub slot, SP 64/64, {CC}, "
                     f"number of sub-slots: 1, RC hash: {RC}, Deficit 16\n")
    return "".join(lines)


def summary(tmp_path: Path, text: str) -> str:
    log = tmp_path / "debug.log"
    log.write_text(text, encoding="utf-8")
    out = io.StringIO()
    replay([log], out)
    return out.getvalue()


def test_the_older_signage_point_line_is_counted_not_skipped(tmp_path: Path) -> None:
    text = summary(tmp_path, node_log(3, "Finished signage point {index}/64: {cc}"))
    assert "signage points: seen 189  skipped 0" in text


def test_signage_point_lines_that_do_not_parse_are_not_understood_never_skipped(tmp_path: Path) -> None:
    reworded = "Finished signage point {index} of 64 (cc {cc})"      # a future chia, say
    text = summary(tmp_path, node_log(3, reworded))
    assert "signage point lines did not parse" in text and "NOT UNDERSTOOD (blind)" in text
    assert "skipped 1" not in text and "skipped 6" not in text
    assert "signage_point          0  (did not parse: 189)" in text


def test_the_collector_says_blind_and_counts_no_skipped_signage_point(chia_root, tmp_path: Path, caplog) -> None:
    root, _ = chia_root
    chia, log_collector = chia_collectors(ChiaSettings(root=str(root)), tmp_path / "state")
    with caplog.at_level(logging.WARNING):
        log_collector.handle(node_log(3, "Finished signage point {index} of 64 (cc {cc})").encode())
    chia._clock = lambda: START.timestamp() + 3 * 600 + 600
    asyncio.run(chia.collect(events_pb2.ComputerInfo()))
    signage = [f.signage for f in chia.take_facts() if f.HasField("signage")]
    assert sum(s.skipped for s in signage) == 0                # it used to be 63 a sub-slot
    snapshot = events_pb2.ComputerInfo()
    asyncio.run(log_collector.collect(snapshot))
    assert {m.parser: m.blind for m in snapshot.log_health}["signage_point"] is True
    assert any("signage point lines are not understood" in r.getMessage() for r in caplog.records)
