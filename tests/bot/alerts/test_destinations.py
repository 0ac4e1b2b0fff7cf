"""Alert destinations through the real outbox and delivery on a real bot.db: routing by least
severity, delivery recorded per destination, silent info, subscriptions, and a bot.db written before
destinations existed."""
from __future__ import annotations

import asyncio
import json
import sqlite3

from bot.alerts.botdb import connect_botdb
from bot.alerts.delivery import Delivery
from bot.alerts.destinations import subscribe, unsubscribe
from bot.alerts.outbox import enqueue
from bot.alerts.settings import AlertSettings
from bot.reply import Reply
from bot.transports.base import Destination
from monitor.sqlite_tx import transaction
from tests.helpers.alert_harness import RecordingTransport

NOW = 1_800_000_000.0
PAGER = Destination("chat", "1", min_severity="critical")
LOG = Destination("chat", "2")                           # every alert


def queue(botdb, title: str, severity: str, machine: str = "", route_as: str | None = None) -> None:
    with transaction(botdb):
        enqueue(botdb, Reply.text(title, "detail", severity=severity), machine, "test", NOW, NOW, route_as=route_as)


def deliver(delivery: Delivery) -> None:
    async def all_of_it():
        while await delivery.deliver():
            pass
    asyncio.run(all_of_it())


def got(transport: RecordingTransport) -> dict[str, list[str]]:
    out: dict[str, list[str]] = {}
    for key, reply in transport.sent_to:
        out.setdefault(key, []).append(reply.title)
    return out


def test_each_destination_gets_what_its_least_severity_asks_for_once(tmp_path):
    botdb = connect_botdb(tmp_path / "bot.db")
    chat = RecordingTransport("chat", [PAGER, LOG])
    delivery = Delivery(botdb, [chat], AlertSettings(), clock=lambda: NOW)
    queue(botdb, "Disk gone", "critical", "nas-1")
    queue(botdb, "Plot added", "info", "nas-2")
    queue(botdb, "Recovered: Disk gone", "ok", "nas-3", route_as="critical")   # where its alert went
    queue(botdb, "Recovered: RAM full", "ok", "nas-4", route_as="warning")
    deliver(delivery)
    deliver(delivery)                                   # nothing owed any more: nothing again
    assert got(chat) == {"chat:1": ["Disk gone", "Recovered: Disk gone"],
                         "chat:2": ["Disk gone", "Plot added", "Recovered: Disk gone", "Recovered: RAM full"]}
    silent = {r.title: r.silent for _, r in chat.sent_to}
    assert silent == {"Disk gone": False, "Plot added": True, "Recovered: Disk gone": True, "Recovered: RAM full": True}
    assert botdb.execute("SELECT count(*) FROM outbox WHERE done = 0").fetchone()[0] == 0


def test_a_failing_destination_keeps_its_rows_and_the_others_are_not_sent_again(tmp_path):
    botdb = connect_botdb(tmp_path / "bot.db")
    now = [NOW]
    chat = RecordingTransport("chat", [PAGER, LOG])
    delivery = Delivery(botdb, [chat], AlertSettings(transport_failures=99), clock=lambda: now[0])
    chat.refusing.add(PAGER.key)
    queue(botdb, "Disk gone", "critical", "nas-1")
    deliver(delivery)
    row = botdb.execute("SELECT sent_to, done FROM outbox").fetchone()
    assert (json.loads(row["sent_to"]), row["done"]) == (["chat:2"], 0), "recorded for the one that took it"
    chat.refusing.clear()
    now[0] += 60                                        # past the retry backoff
    deliver(delivery)
    assert got(chat) == {"chat:1": ["Disk gone"], "chat:2": ["Disk gone"]}
    assert botdb.execute("SELECT done FROM outbox").fetchone()[0] == 1


def test_a_subscriber_gets_alerts_queued_after_subscribing_until_unsubscribing(tmp_path):
    botdb = connect_botdb(tmp_path / "bot.db")
    now = [NOW]
    chat = RecordingTransport("chat", [LOG])
    delivery = Delivery(botdb, [chat], AlertSettings(), clock=lambda: now[0])
    with transaction(botdb):     # held back (quiet hours): queued before the subscription, not owed to it
        enqueue(botdb, Reply.text("Old news", severity="critical"), "", "test", NOW - 10, NOW + 5)
    subscribe(botdb, "chat", "42", "warning", NOW)
    subscribe(botdb, "gone", "43", "info", NOW)        # of a transport the bot no longer runs: ignored
    queue(botdb, "Disk gone", "critical", "nas-1")
    queue(botdb, "Plot added", "info", "nas-2")
    now[0] += 10
    deliver(delivery)
    assert got(chat)["chat:dm:42"] == ["Disk gone"]
    assert unsubscribe(botdb, "chat", "42") and not unsubscribe(botdb, "chat", "42")
    queue(botdb, "Harvester lost", "critical", "nas-3")
    deliver(delivery)
    assert got(chat)["chat:dm:42"] == ["Disk gone"]
    assert got(chat)["chat:2"] == ["Old news", "Disk gone", "Plot added", "Harvester lost"]


def test_a_subscriber_who_blocked_the_bot_is_unsubscribed_and_nothing_waits_for_them(tmp_path):
    botdb = connect_botdb(tmp_path / "bot.db")
    chat = RecordingTransport("chat", [LOG])
    delivery = Delivery(botdb, [chat], AlertSettings(transport_failures=1), clock=lambda: NOW)
    subscribe(botdb, "chat", "42", "info", NOW)
    chat.blocked.add("chat:dm:42")
    queue(botdb, "Disk gone", "critical", "nas-1")
    deliver(delivery)
    assert got(chat) == {"chat:2": ["Disk gone"]}
    assert delivery.destinations() == [LOG], "unsubscribed"
    assert botdb.execute("SELECT count(*) FROM outbox WHERE done = 0").fetchone()[0] == 0, "no notice, nothing owed"


OLD_OUTBOX = """CREATE TABLE outbox (
    id INTEGER PRIMARY KEY, created REAL NOT NULL, not_before REAL NOT NULL,
    machine TEXT NOT NULL, severity TEXT NOT NULL, rule TEXT NOT NULL, reply TEXT NOT NULL,
    sent_to TEXT NOT NULL DEFAULT '[]', only_to TEXT NOT NULL DEFAULT '',
    done INTEGER NOT NULL DEFAULT 0, source_time REAL)"""


def test_a_bot_db_from_before_destinations_opens_and_keeps_what_each_transport_got(tmp_path):
    """Rows recorded per transport: a transport that had it does not send it again to any of its
    destinations; the one that did not gets it."""
    path = tmp_path / "bot.db"
    old = sqlite3.connect(path)
    old.execute(OLD_OUTBOX)
    old.execute("INSERT INTO outbox (created, not_before, machine, severity, rule, reply, sent_to) VALUES (?, ?, ?, ?, ?, ?, ?)",
                (NOW, NOW, "nas-1", "critical", "disk_gone", Reply.text("Disk gone", severity="critical").to_json(),
                 '["discord"]'))
    old.execute("INSERT INTO outbox (created, not_before, machine, severity, rule, reply, only_to) VALUES (?, ?, ?, ?, ?, ?, ?)",
                (NOW, NOW, "", "warning", "transport_failing", Reply.text("telegram keeps failing").to_json(),
                 '["discord"]'))
    old.commit()
    old.close()
    botdb = connect_botdb(path)
    discord = RecordingTransport("discord", [Destination("discord", "100"), Destination("discord", "200")])
    telegram = RecordingTransport("telegram", [Destination("telegram", "-300")])
    deliver(Delivery(botdb, [discord, telegram], AlertSettings(), clock=lambda: NOW))
    assert got(discord) == {"discord:100": ["telegram keeps failing"], "discord:200": ["telegram keeps failing"]}
    assert got(telegram) == {"telegram:-300": ["Disk gone"]}
    assert botdb.execute("SELECT count(*) FROM outbox WHERE done = 0").fetchone()[0] == 0
