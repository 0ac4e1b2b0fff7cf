"""Log health (blind parsers, chia's log level) and the ChiaLogCollector on real files."""
from __future__ import annotations

import asyncio
import logging
from pathlib import Path

from monitor.client.chia.logs import events as ev
from monitor.client.chia.logs.build import debug_log_path, log_collectors
from monitor.client.chia.logs.collector import ChiaLogCollector
from monitor.client.chia.settings import ChiaSettings
from monitor.client.diff import diff_topic, state_of
from monitor.client.plotters.collector import PlotterCollector
from monitor.client.chia.logs.health import LogHealth, chia_log_level
from monitor.client.chia.logs.parser import ChiaLogParser
from protocol import events_pb2
from protocol.registry import BY_NAME
from tests.helpers.paths import DATA as TEST_DATA

DATA = TEST_DATA / "chia"
ANSWER_257 = ("2026-11-28T01:47:53.{ms:03d} 2.7.5 harvester chia.harvester.harvester: INFO     challenge_hash: "
              "87b15ee553 ...1 plots were eligible for farming challengeFound {proofs} V1 proofs and 0 V2 qualities. "
              "Time: 0.07103 s. Total 10 plots\n")
OTHER_HARVESTER = ("2026-11-28T01:47:54.000 2.7.5 harvester chia.harvester.harvester: INFO     Using "
                   "plots_refresh_parameter: {'batch_size': 300, 'batch_sleep_milliseconds': 1, 'interval_seconds': 120}\n")
FARMER_AWAY = ("2026-11-28T01:44:00.006 2.7.5 harvester harvester_server        : INFO     Cannot connect to host "
               "127.0.0.1:8447 ssl:<ssl.SSLContext object at 0x7f5c3055bc80> [Connect call failed ('127.0.0.1', 8447)]\n")
# what a future chia might write instead: the keyword is there, the shape is not
CHANGED = ("2026-11-28T01:47:55.000 3.0.0 harvester chia.harvester.harvester: INFO     1 plots were eligible for "
           "farming: proofs=0 time=0.1\n")


def feed(health: LogHealth, parser: ChiaLogParser, text: str) -> list[str]:
    data = text.encode()
    return health.observe(data, parser.parse(data), parser.near_misses)


def test_parser_that_stops_matching_while_its_logger_writes_goes_blind() -> None:
    health, parser = LogHealth("debug.log", blind_after_lines=50), ChiaLogParser()
    assert feed(health, parser, "".join(ANSWER_257.format(ms=i, proofs=0) for i in range(20))) == []
    assert feed(health, parser, OTHER_HARVESTER * 49) == []
    assert feed(health, parser, OTHER_HARVESTER) == ["harvester_answer"]
    message = {m.parser: m for m in health.messages("INFO")}["harvester_answer"]
    assert (message.blind, message.lines_matched, message.id) == (True, 20, "debug.log:harvester_answer")
    assert feed(health, parser, ANSWER_257.format(ms=999, proofs=0)) == []
    assert not {m.parser: m for m in health.messages("INFO")}["harvester_answer"].blind


def test_lines_that_no_longer_parse_make_a_parser_blind_quickly() -> None:
    health, parser = LogHealth("debug.log"), ChiaLogParser()
    feed(health, parser, ANSWER_257.format(ms=1, proofs=0))
    assert feed(health, parser, CHANGED * 3) == ["harvester_answer"]


def test_silence_of_a_stopped_service_is_not_blindness() -> None:
    health, parser = LogHealth("debug.log", blind_after_lines=50), ChiaLogParser()
    feed(health, parser, ANSWER_257.format(ms=1, proofs=0))
    farmer_line = ("2026-11-28T01:47:15.598 2.7.5 farmer farmer                     : INFO     "
                   "Waiting for ChiaServer to be closed\n")
    assert feed(health, parser, farmer_line * 500) == []


def test_a_harvester_waiting_for_its_farmer_is_not_blind() -> None:
    health, parser = LogHealth("debug.log", blind_after_lines=50), ChiaLogParser()
    feed(health, parser, ANSWER_257.format(ms=1, proofs=0))
    assert feed(health, parser, FARMER_AWAY * 500) == []


def test_a_parser_that_never_matched_is_not_blind_by_silence() -> None:
    health, parser = LogHealth("debug.log", blind_after_lines=10), ChiaLogParser()
    assert feed(health, parser, OTHER_HARVESTER * 100) == []


def write_config(root: Path, text: str) -> Path:
    (root / "config").mkdir(parents=True, exist_ok=True)
    (root / "config" / "config.yaml").write_text(text)
    return root


def test_chia_log_level_from_config(tmp_path: Path) -> None:
    anchored = ("logging: &logging\n  log_level: WARNING\n  log_stdout: false\n"
                "harvester:\n  logging: *logging\n")
    assert chia_log_level(write_config(tmp_path / "a", anchored)) == "WARNING"
    verbose_farmer = "logging:\n  log_level: WARNING\nfarmer:\n  logging:\n    log_level: debug\n"
    assert chia_log_level(write_config(tmp_path / "b", verbose_farmer)) == "DEBUG"
    assert chia_log_level(write_config(tmp_path / "c", ": not yaml: [")) == ""
    assert chia_log_level(tmp_path / "missing") == ""


def test_collector_warns_once_about_warning_level_and_leaves_config_alone(tmp_path: Path, caplog) -> None:
    root = write_config(tmp_path / "chia", "logging:\n  log_level: WARNING\n")
    before = (root / "config" / "config.yaml").read_bytes()
    collector = ChiaLogCollector(tmp_path / "debug.log", tmp_path / "state.json", chia_root=root)

    async def run() -> events_pb2.ComputerInfo:
        await collector.start()
        snapshot = events_pb2.ComputerInfo()
        await collector.collect(snapshot)
        await collector.stop()
        return snapshot

    with caplog.at_level(logging.WARNING):
        snapshot = asyncio.run(run())
    warnings = [r for r in caplog.records if "log_level" in r.getMessage()]
    assert len(warnings) == 1 and "WARNING" in warnings[0].getMessage()
    assert (root / "config" / "config.yaml").read_bytes() == before
    assert {m.chia_log_level for m in snapshot.log_health} == {"WARNING"}


def test_collector_follows_the_log_hands_events_on_and_queues_proofs(tmp_path: Path) -> None:
    log_file, state = tmp_path / "debug.log", tmp_path / "state.json"
    log_file.write_text("history that must not be replayed\n" + ANSWER_257.format(ms=0, proofs=5))
    seen: list[ev.LogEvent] = []
    woken: list[bool] = []

    async def run() -> events_pb2.ComputerInfo:
        collector = ChiaLogCollector(log_file, state, on_event=seen.append, harvester_node_id="ab" * 32)
        collector.follower.min_wait = collector.follower.max_wait = 0.02
        collector.wake = lambda: woken.append(True)
        await collector.start()
        await asyncio.sleep(0.2)
        with log_file.open("a") as file:
            file.write(ANSWER_257.format(ms=1, proofs=2))
            file.write("2026-11-28T01:48:00.000 2.7.5 full_node chia.full_node.full_node: INFO     🍀 ️Farmed "
                       f"unfinished_block {'cd' * 32}, SP: 49, validation time: 0.02 seconds, cost: 1\n")
        for _ in range(500):
            if len(seen) >= 2:
                break
            await asyncio.sleep(0.02)
        snapshot = events_pb2.ComputerInfo()
        await collector.collect(snapshot)
        facts.extend(collector.take_facts())
        await collector.stop()
        return snapshot

    facts: list[events_pb2.UpdateEvent] = []
    snapshot = asyncio.run(run())
    assert [e.kind for e in seen] == ["harvester_answer", "block_farmed"]
    proofs = [f for f in facts if f.WhichOneof("payload") == "proof"]
    blocks = [f for f in facts if f.WhichOneof("payload") == "block"]
    assert len(proofs) == 2 and {p.proof.harvester_node_id for p in proofs} == {"ab" * 32}
    assert proofs[0].timestamp == seen[0].time
    assert blocks[0].block.header_hash == "cd" * 32 and blocks[0].block.signage_point_index == 49
    assert woken
    health = {m.parser: m for m in snapshot.log_health}
    assert health["harvester_answer"].lines_matched == 1
    assert health["harvester_answer"].id == f"{log_file}:harvester_answer"


def test_a_failing_consumer_does_not_stop_the_log(tmp_path: Path) -> None:
    def broken(event: ev.LogEvent) -> None:
        raise RuntimeError("consumer bug")

    collector = ChiaLogCollector(tmp_path / "debug.log", None, on_event=broken)
    collector.handle(ANSWER_257.format(ms=0, proofs=1).encode())
    collector.handle(ANSWER_257.format(ms=1, proofs=1).encode())
    assert len(collector.take_facts()) == 2


def test_debug_log_path(tmp_path: Path) -> None:
    assert debug_log_path("", tmp_path) == tmp_path / "log" / "debug.log"
    assert debug_log_path("off", tmp_path) is None
    assert debug_log_path(str(tmp_path / "x.log"), Path("/nowhere")) == tmp_path / "x.log"


def test_log_collectors_from_settings(tmp_path: Path) -> None:
    default = log_collectors(ChiaSettings(), tmp_path / "root", tmp_path / "state")
    assert [type(c) for c in default] == [ChiaLogCollector]
    assert default[0].debug_log == tmp_path / "root" / "log" / "debug.log"
    assert default[0].follower.state_file == tmp_path / "state" / "chia-log-position.json"
    both = log_collectors(ChiaSettings(plotter_logs=["/var/log/plots/*.log"], log_state_file=tmp_path / "p.json"),
                          tmp_path / "root", tmp_path / "state")
    assert [type(c) for c in both] == [ChiaLogCollector, PlotterCollector]
    assert both[0].follower.state_file == tmp_path / "p.json"
    assert log_collectors(ChiaSettings(debug_log="off"), tmp_path / "root", tmp_path / "state") == []


class DaemonFeed:
    """Reports every proof while `up`."""
    up = True

    def reports(self, kind: str, at: float) -> bool:
        return kind == "proof" and self.up

    def reported(self) -> dict:
        return {}


def test_no_proof_facts_while_a_better_source_reports_them(tmp_path: Path) -> None:
    feed = DaemonFeed()
    collector = ChiaLogCollector(tmp_path / "debug.log", None, elsewhere=feed)
    seen: list[ev.LogEvent] = []
    collector.on_event = seen.append
    collector.handle(ANSWER_257.format(ms=0, proofs=1).encode())
    assert collector.take_facts() == [] and len(seen) == 1   # the event still goes to the aggregator
    feed.up = False
    collector.handle(ANSWER_257.format(ms=1, proofs=1).encode())
    assert len(collector.take_facts()) == 1


def test_log_health_is_refreshed_once_an_interval_but_blindness_at_once(tmp_path: Path) -> None:
    collector = ChiaLogCollector(tmp_path / "debug.log", None, blind_after_lines=5, health_interval=3600)

    def health() -> dict[str, object]:
        snapshot = events_pb2.ComputerInfo()
        asyncio.run(collector.collect(snapshot))
        return {m.parser: m for m in snapshot.log_health}

    collector.handle(ANSWER_257.format(ms=0, proofs=0).encode())
    assert health()["harvester_answer"].lines_matched == 1
    collector.handle(ANSWER_257.format(ms=1, proofs=0).encode())
    assert health()["harvester_answer"].lines_matched == 1      # a new count waits for the interval
    collector.handle((OTHER_HARVESTER * 5).encode())
    now = health()["harvester_answer"]
    assert now.blind and now.lines_matched == 2                 # going blind is reported at once


def test_a_restarted_client_reports_the_log_health_it_reported(tmp_path: Path) -> None:
    """A restart (kill -9 too) resumes each parser's counts from the checkpoint stored with the log's
    position: the rows are those sent before, not counts from zero (a blind parser would "see" again
    and go blind a second time: a second alert) nor rows gone until their next match."""
    log_file = tmp_path / "debug.log"
    log_file.write_bytes(b"")

    def rows(collector: ChiaLogCollector) -> dict:
        snapshot = events_pb2.ComputerInfo()
        asyncio.run(collector.collect(snapshot))
        return state_of(snapshot)["log_health"]

    before = ChiaLogCollector(log_file, None, blind_after_lines=5, health_interval=3600)
    assert before.follower.poll() == b""               # the first start takes its position
    for text in (ANSWER_257.format(ms=0, proofs=1), OTHER_HARVESTER * 5):      # it matched, then went blind
        with log_file.open("a") as file:
            file.write(text)
        while block := before.follower.poll():
            before.handle(block)
    sent = rows(before)
    assert sent[f"{log_file}:harvester_answer"].blind
    before.take_facts()
    checkpoint = before.checkpoint()                    # stored with the facts taken; then kill -9
    before.follower.close()

    after = ChiaLogCollector(log_file, None, blind_after_lines=5, health_interval=3600)
    after.restore(checkpoint)
    assert diff_topic(BY_NAME["log_health"], sent, rows(after), 0.0) == []


def test_real_log_through_rotation_and_restart_gives_every_event_once(tmp_path: Path) -> None:
    """The real 2.7.5 excerpt written in three parts, with chia's rotation and a teafarm restart in
    between: the events handed on are exactly those of parsing the whole file once."""
    lines = (DATA / "debug-2.7.5-excerpt.log").read_bytes().splitlines(keepends=True)
    parts = [b"".join(lines[:100]), b"".join(lines[100:200]), b"".join(lines[200:])]
    expected = ChiaLogParser().parse(b"".join(parts))
    log_file, state = tmp_path / "debug.log", tmp_path / "state.json"
    log_file.write_bytes(b"")
    seen: list[ev.LogEvent] = []

    def run_collector(write, first: bool = False) -> None:
        collector = ChiaLogCollector(log_file, state, on_event=seen.append)
        if first:
            assert collector.follower.poll() == b""    # the first start takes its position
        write()
        while block := collector.follower.poll():
            collector.handle(block)
            collector.follower.commit()
        collector.follower.close()

    run_collector(lambda: log_file.write_bytes(parts[0]), first=True)
    cut = parts[1].index(b"\n", 5000) + 1             # chia rotates between lines

    def rotate_and_write() -> None:
        with log_file.open("ab") as file:
            file.write(parts[1][:cut])
        log_file.rename(tmp_path / "debug.log.1")
        log_file.write_bytes(parts[1][cut:])

    run_collector(rotate_and_write)                    # a restart, then a rotation mid-part
    with log_file.open("ab") as file:                  # written while teafarm is down
        file.write(parts[2])
    run_collector(lambda: None)
    assert seen == expected
