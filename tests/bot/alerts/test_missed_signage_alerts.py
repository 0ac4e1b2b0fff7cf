"""Missed signage points from the client's buckets to the alert and the replies (issue 14, point 8):
the signage points the node skipped count for the harvester, answers after chia's 28 s window count
as missed, and those missed while a harvester was disconnected go with its disconnect (one message).
Buckets are made by the client's own FarmingStats where the point is how they are counted; events
go through a real server; the engine runs with a clock the test moves."""
from __future__ import annotations

import math
import time

from bot import render
from bot.alerts.botdb import connect_botdb
from bot.alerts.settings import AlertSettings
from bot.commands.base import CommandContext
from bot.commands.dispatch import Dispatcher
from bot.transports.base import Incoming
from monitor.client.chia.farming_stats import SP_INTERVAL, FarmingStats
from monitor.store.reader import StoreReader
from protocol import events_pb2
from tests.helpers.alert_harness import Harness, text_of, titles
from tests.helpers.farm import UPDATE, farming, harvester

NODE = "c3" * 32


def as_events(buckets) -> list[events_pb2.UpdateEvent]:
    events = []
    for bucket in buckets:
        update = events_pb2.UpdateEvent(event_type=events_pb2.ADD, timestamp=bucket.minute)
        update.farming.CopyFrom(bucket)
        events.append(update)
    return events


def a_while_ago() -> float:
    return math.floor((time.time() - 1800) / 60) * 60


def ask(database, folder, text: str) -> str:
    dispatcher = Dispatcher(lambda: CommandContext(StoreReader(database), connect_botdb(folder / "bot.db"), AlertSettings()))
    try:
        return render.plain(dispatcher.run(Incoming("console", "c", "u1", "alice", text, is_dm=True, is_admin=True)))
    finally:
        dispatcher.close()


def test_signage_points_the_node_skipped_alert_once_and_show_in_farm(farm_server, tmp_path):
    """The farm scenario: 37 signage points, 10 of them skipped by the node, every other one answered."""
    stats, t0 = FarmingStats(), a_while_ago()
    received = [*range(1, 11), *range(16, 26), *range(31, 38)]          # 11..15 and 26..30 never came
    for n, index in enumerate(received):
        at = t0 + index * SP_INTERVAL
        stats.signage_point(f"sp{n}", "c1", index, at, [NODE])
        stats.farming_info(NODE, f"sp{n}", at + 0.5, lookup=0.3, eligible=0, proofs=0, total_plots=7)
    buckets, signage = stats.flush(t0 + 3600)
    assert sum(s.skipped for s in signage) == 10 and sum(s.seen for s in signage) == 27
    h = Harness(farm_server.database, tmp_path / "alerts", missed_sp_percent=0)
    farm_server.send("farmer1", harvester(NODE, True, plots=7), *as_events(buckets))
    sent = h.run()
    assert titles(sent) == ["Missed signage points"]
    assert "missed 10 of 37 signage points (27.0%)" in text_of(sent[0])
    assert h.run() == []                                   # exactly one
    farm = ask(farm_server.database, tmp_path, "/farm")
    assert "missed signage points (24 h): 10 of 37 (27.0 %)" in farm
    h.close()


def test_answers_after_the_28_s_window_are_missed_and_can_alert(farm_server, tmp_path):
    """A harvester frozen for 75 s, 6 minutes into the hour: 3 % missed (no alert) and 6 % answered too
    late, after the proofs were lost: 9 % missed (an alert)."""
    stats, t0 = FarmingStats(), a_while_ago()
    frozen = t0 + 40 * SP_INTERVAL
    thawed = frozen + 75
    timeline, buckets = [], []
    for n in range(64):
        at = t0 + n * SP_INTERVAL
        timeline += [(at, 0, n), (thawed if frozen <= at < thawed else at + 0.4, 1, n)]
    for at, is_answer, n in sorted(timeline):
        buckets += stats.flush(at)[0]                      # the client settles as time goes by
        if is_answer:
            stats.farming_info(NODE, f"sp{n}", at, lookup=0.3, eligible=0, proofs=0, total_plots=7)
        else:
            stats.signage_point(f"sp{n}", "c1", n, at, [NODE])
    buckets += stats.flush(t0 + 3600)[0]
    assert (sum(b.sp_missed for b in buckets), sum(b.sp_late_28s for b in buckets)) == (2, 4)
    h = Harness(farm_server.database, tmp_path / "alerts")          # missed_sp_percent: 5
    farm_server.send("farmer2", harvester(NODE, True, plots=7), *as_events(buckets))
    sent = h.run()
    assert titles(sent) == ["Missed signage points"] and "missed 6 of 64 signage points (9.4%)" in text_of(sent[0])
    assert h.run() == []
    missed = ask(farm_server.database, tmp_path, "/missed 1h")
    row = next(line for line in missed.splitlines() if line.strip().startswith("farmer2 "))
    assert row.split()[2:5] == ["64", "58", "6"]                      # expected, answered, missed
    assert "lookup>5s" in missed and "late>5s" not in missed         # the column says what it counts
    h.close()


def test_signage_points_missed_while_disconnected_go_with_the_disconnect(farm_server, tmp_path):
    """200 s away: 21 signage points missed, shown in /missed, told in the disconnect's alert and
    its reminder; no second "missed signage points" message about the same cause."""
    h = Harness(farm_server.database, tmp_path / "alerts", reminder_first=600.0)
    t0 = a_while_ago() - 3600
    farm_server.send("farmer3", harvester(NODE, True, plots=7),
                     *[farming(NODE, t0 + 60 * i, expected=6) for i in range(50)])
    assert h.run() == []
    farm_server.send("farmer3", harvester(NODE, False, UPDATE, plots=7))
    assert titles(h.run()) == ["Harvester disconnected"]
    away = t0 + 60 * 50
    farm_server.send("farmer3", *[farming(NODE, away + 60 * i, expected=6, missed=6, missed_disconnected=6)
                                  for i in range(3)], farming(NODE, away + 180, expected=6, missed=3, missed_disconnected=3))
    assert h.run() == []                                   # 21 of 324 (6.5 %) missed: no second message
    h.advance(601)
    reminder = h.run()
    assert titles(reminder) == ["Still: Harvester disconnected (for 10 min)"]
    assert "(7 plots no longer farmed); 21 signage points missed since" in text_of(reminder[0])
    farm_server.send("farmer3", harvester(NODE, True, UPDATE, plots=7))
    assert titles(h.run()) == ["Recovered: Harvester disconnected"]
    missed = ask(farm_server.database, tmp_path, "/missed 24h")
    row = next(line for line in missed.splitlines() if line.strip().startswith("farmer3 "))
    assert row.split()[2:5] == ["324", "303", "21"]
    h.close()
