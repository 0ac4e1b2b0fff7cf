"""Messages that go out late (a chat outage, a bot restart) say when they happened; a grouped
message whose problems have all recovered is headed as a recovery and names what recovered.
The clocks are the test's."""
from __future__ import annotations

import asyncio
import datetime as dt

from bot.alerts.botdb import connect_botdb
from bot.alerts.delivery import Delivery
from bot.alerts.messages import clock_time, merged, recovery_reply
from bot.alerts.outbox import enqueue
from bot.alerts.settings import AlertSettings, RuleSettings
from bot.reply import Reply
from monitor.sqlite_tx import transaction
from tests.helpers.alert_harness import Harness, RecordingTransport, no_debounce, text_of, titles
from tests.helpers.backbone import event
from tests.helpers.farm import UPDATE, harvester

NODE = "c3" * 32


def at(text: str) -> float:
    return dt.datetime.strptime(text, "%Y-%m-%d %H:%M:%S").timestamp()      # the bot's local time


def sent_at(tmp_path, created: float, now: float, source_time: float | None = None) -> Reply:
    chat = RecordingTransport("chat")
    botdb = connect_botdb(tmp_path / "bot.db")
    with transaction(botdb):
        enqueue(botdb, Reply.text("Harvester disconnected", "harvester nas1 c3c3c3c3 disconnected", "machine: nas1",
                                  severity="critical"), "nas1", "harvester_disconnected", created, created, source_time)
    asyncio.run(Delivery(botdb, [chat], AlertSettings(), clock=lambda: now).deliver())
    botdb.close()
    assert len(chat.sent) == 1
    return chat.sent[0]


def test_a_message_sent_late_says_when_it_happened(tmp_path):
    reply = sent_at(tmp_path, at("2026-03-14 07:41:02"), now=at("2026-03-14 08:41:02"))
    assert reply.sections[0].lines == ["happened at 07:41:02", "harvester nas1 c3c3c3c3 disconnected", "machine: nas1"]


def test_a_message_from_another_day_says_the_date(tmp_path):
    reply = sent_at(tmp_path, at("2026-03-13 23:50:00"), now=at("2026-03-14 00:10:00"))
    assert "happened at 2026-03-13 23:50:00" in text_of(reply)


def test_the_event_time_counts_when_there_is_one(tmp_path):
    reply = sent_at(tmp_path, at("2026-03-14 07:45:00"), now=at("2026-03-14 07:45:01"), source_time=at("2026-03-14 07:41:02"))
    assert "happened at 07:41:02" in text_of(reply), "queued late (a restart's backlog): still late"


def test_a_message_sent_on_time_has_no_time(tmp_path):
    reply = sent_at(tmp_path, at("2026-03-14 07:41:02"), now=at("2026-03-14 07:41:03"))
    assert "happened at" not in text_of(reply)


def test_an_outage_across_a_restart_delivers_each_alert_with_its_time(server, tmp_path):
    chat = RecordingTransport("chat")
    h = Harness(server.database, tmp_path, transports=[chat])
    chat.down = True
    server.send("late1", harvester(NODE, True))
    server.send("late1", harvester(NODE, False, UPDATE))
    assert h.run() == []
    h.restart()
    chat.down = False
    h.advance(600)
    sent = h.run()
    assert titles(sent) == ["Harvester disconnected"]
    assert sent[0].sections[0].lines[0] == f"happened at {clock_time(sent[0].at, h.t)}"


def test_an_event_the_client_buffered_through_an_outage_says_when_it_happened(server, tmp_path):
    """The client was cut off from the server for 10 minutes; its outbox delivers the disconnect now,
    stamped when it happened. The alert, sent at once, says then, not when the server got it."""
    chat = RecordingTransport("chat")
    h = Harness(server.database, tmp_path, transports=[chat])
    server.send("late3", harvester(NODE, True))
    happened = h.t - 600
    server.send("late3", harvester(NODE, False, UPDATE, timestamp=happened))
    sent = h.run()
    assert titles(sent) == ["Harvester disconnected"]
    assert abs(sent[0].at - happened) < 5              # the event's time, corrected by the client's measured clock offset
    assert sent[0].sections[0].lines[0] == f"happened at {clock_time(sent[0].at, h.t)}"


def test_a_debounced_alert_from_a_buffered_event_says_when_it_happened_and_an_on_time_one_does_not(server, tmp_path):
    """The disconnect waits out its 60 s debounce and is announced by the engine's sweep, not by its
    event: it still says when it happened when the event came 10 minutes late, and only then."""
    chat = RecordingTransport("chat")
    rules = {**no_debounce(), "harvester_disconnected": RuleSettings(debounce=60)}
    h = Harness(server.database, tmp_path, transports=[chat], rules=rules)
    server.send("late4", harvester(NODE, True), harvester("d4" * 32, True))
    happened = h.t - 600
    server.send("late4", harvester(NODE, False, UPDATE, timestamp=happened))
    assert h.run() == []                                # debouncing
    h.advance(61)
    late, = h.run()
    assert abs(late.at - happened) < 5 and late.sections[0].lines[0] == f"happened at {clock_time(late.at, h.t)}"
    server.send("late4", harvester("d4" * 32, False, UPDATE, timestamp=h.t))     # this one arrives as it happens
    assert h.run() == []
    h.advance(61)
    on_time, = h.run()
    assert "happened at" not in text_of(on_time) and on_time.at    # the footer's time: when it was raised


def test_grouped_recoveries_are_headed_as_a_recovery_naming_what_recovered(server, tmp_path):
    chat = RecordingTransport("chat")
    h = Harness(server.database, tmp_path, transports=[chat])
    server.send("late2", harvester(NODE, True), event("ram", percent=10.0))
    server.send("late2", harvester(NODE, False, UPDATE), event("ram", UPDATE, percent=99.0))
    assert titles(h.run()) == ["late2: 2 alerts"]
    chat.down = True                               # both recover while the chat is away
    server.send("late2", harvester(NODE, True, UPDATE), event("ram", UPDATE, percent=10.0))
    assert h.run() == []
    chat.down = False
    h.advance(600)
    sent = h.run()
    assert titles(sent) == ["Recovered on late2: Harvester disconnected, RAM full"]
    assert sent[0].severity == "ok"
    assert [s.heading for s in sent[0].sections] == ["Recovered: Harvester disconnected", "Recovered: RAM full"]


def test_a_group_with_a_problem_still_open_is_no_recovery_and_names_repeat_once():
    def problem(title: str) -> Reply:
        return Reply(title, [], "warning")

    def recovery(title: str) -> Reply:
        return Reply(f"Recovered: {title}", [], "ok")

    assert merged("m1", [problem("RAM full"), recovery("Disk gone")]).title == "m1: 2 alerts"
    assert merged("m1", [recovery("Chia service stopped")] * 3 + [recovery("Disk gone")]).title == \
        "Recovered on m1: Chia service stopped (x3), Disk gone"
    assert merged("m1", [Reply("works again", [], "ok"), recovery("Disk gone")]).title == "m1: 2 alerts"


def test_recovery_titles_are_what_merged_recognises():
    from bot.alerts.lifecycle import Alert
    alert = Alert("ram_full", "m1", "", "firing", "warning", "RAM full", "", "", "", 0.0, 0.0, True, 0, None, None)
    assert merged("m1", [recovery_reply(alert, "", 60.0)] * 2).title == "Recovered on m1: RAM full (x2)"
