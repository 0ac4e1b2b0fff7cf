"""The buttons under an alert, pressed through the real command layer over the real engine: Mute
(that rule on that machine only), Acknowledge (no reminders, the recovery still sent, who and when
kept), an outsider's press changing nothing, and bot.db files from before acknowledgements."""
from __future__ import annotations

import asyncio
import sqlite3

from bot.access import guarded
from bot.alerts import lifecycle
from bot.alerts.botdb import connect_botdb
from bot.alerts.mutes import active_mutes
from bot.commands.base import CommandContext
from bot.commands.dispatch import run_command
from bot.reply import ErrorReply
from bot.settings import BotSettings
from bot.transports.base import Incoming
from bot.transports.settings import TelegramSettings
from tests.helpers.alert_harness import Harness, text_of, titles
from tests.helpers.backbone import event
from tests.helpers.farm import UPDATE

ALLOWED_CHAT, STRANGER = "-100123", "666"


def press(h: Harness, data: str, user: str = "1001", name: str = "alice"):
    """A press in the Telegram group, through the same access check and dispatcher as the bot's."""
    settings = BotSettings()
    settings.telegram = TelegramSettings(token="t", command_chat_ids=[ALLOWED_CHAT], user_ids=["1001"])
    ctx = CommandContext(h.reader, h.botdb, h.settings, now=lambda: h.t)

    async def handler(incoming: Incoming):
        return run_command(ctx, incoming)

    incoming = Incoming("telegram", ALLOWED_CHAT, user, name, f"/press {data}")
    return asyncio.run(guarded(handler, settings)(incoming))


def ram(server, machine: str, percent: float, first: bool = False) -> None:
    server.send(machine, event("ram", percent=percent) if first else event("ram", UPDATE, percent=percent))


def test_acknowledge_stops_reminders_until_the_recovery(server, tmp_path):
    h = Harness(server.database, tmp_path, reminder_first=60.0)
    ram(server, "ack1", 10.0, first=True)
    ram(server, "ack1", 99.0)
    (fired,) = h.run()
    alert_id = lifecycle.open_alerts(h.botdb)[0].id
    assert [(b.label, b.data) for b in fired.buttons] == [
        ("Mute 1 h", f"mute1h:{alert_id}"), ("Mute 1 d", f"mute1d:{alert_id}"), ("Acknowledge", f"ack:{alert_id}")]
    refused = press(h, f"ack:{alert_id}", user=STRANGER, name="mallory")
    assert isinstance(refused, ErrorReply) and lifecycle.by_id(h.botdb, alert_id).acknowledged_at is None
    done = press(h, f"ack:{alert_id}")
    assert done.title == "Acknowledged" and text_of(done).startswith("Acknowledged\nby alice at ")
    stored = lifecycle.by_id(h.botdb, alert_id)
    assert (stored.acknowledged_by, stored.acknowledged_at) == ("alice", h.t)
    again = press(h, f"ack:{alert_id}")
    assert isinstance(again, ErrorReply) and "already acknowledged by alice" in again.title
    h.advance(3600)
    assert h.run() == [], "no reminder once acknowledged"
    ram(server, "ack1", 10.0)
    assert titles(h.run()) == ["Recovered: RAM full"]
    gone = press(h, f"ack:{alert_id}")
    assert isinstance(gone, ErrorReply) and "recovered" in gone.title


def test_mute_buttons_mute_that_rule_on_that_machine_only(server, tmp_path):
    h = Harness(server.database, tmp_path)
    for machine in ("mute1", "mute2"):
        ram(server, machine, 10.0, first=True)
    ram(server, "mute1", 99.0)
    h.run()
    (alert,) = [a for a in lifecycle.open_alerts(h.botdb) if a.machine == "mute1"]
    muted = press(h, f"mute1d:{alert.id}")
    assert muted.title == "Muted" and "RAM full on machine mute1 for 24 h" in text_of(muted)
    assert [m.target for m in active_mutes(h.botdb, h.t)] == ["rule:ram_full@machine:mute1"]
    ram(server, "mute1", 10.0)
    ram(server, "mute2", 99.0)
    assert titles(h.run()) == ["RAM full"], "the other machine still alerts; mute1's recovery is muted"
    ram(server, "mute1", 99.0)
    assert h.run() == [], "mute1's RAM full is muted"
    listed = text_of(press(h, "refresh:/alerts"))
    assert "\nrule ram_full on machine mute1 for 2" in listed and listed.endswith("more (by alice)")
    ctx = CommandContext(h.reader, h.botdb, h.settings, now=lambda: h.t)
    unmuted = run_command(ctx, Incoming("telegram", ALLOWED_CHAT, "1001", "alice", "/unmute ram_full on mute1"))
    assert text_of(unmuted) == "Unmuted\nrule ram_full on machine mute1 unmuted"
    assert text_of(run_command(ctx, Incoming("telegram", ALLOWED_CHAT, "1001", "alice", "/unmute all"))) == \
        "Unmuted\n0 mutes removed"


def test_an_older_bot_db_gains_ids_and_acknowledgements(tmp_path):
    path = tmp_path / "bot.db"
    with sqlite3.connect(path) as old:           # the alerts table as the first release made it
        old.execute("""CREATE TABLE alerts (rule TEXT NOT NULL, machine TEXT NOT NULL, key TEXT NOT NULL,
            status TEXT NOT NULL, severity TEXT NOT NULL, title TEXT NOT NULL, detail TEXT NOT NULL,
            harvester TEXT NOT NULL DEFAULT '', harvester_id TEXT NOT NULL DEFAULT '', since REAL NOT NULL,
            due REAL NOT NULL, announced INTEGER NOT NULL DEFAULT 0, reminders INTEGER NOT NULL DEFAULT 0,
            next_reminder REAL, outbox_id INTEGER, PRIMARY KEY (rule, machine, key))""")
        old.execute("INSERT INTO alerts VALUES ('ram_full', 'm1', '', 'firing', 'warning', 'RAM full', '', '', '', "
                    "1, 1, 1, 0, 2, NULL)")
    conn = connect_botdb(path)
    (alert,) = lifecycle.open_alerts(conn)
    assert alert.id == 1 and alert.acknowledged_by == "" and alert.acknowledged_at is None
    assert lifecycle.ref(conn, 1).title == "RAM full"
    conn.close()
    conn = connect_botdb(path)                   # a second start changes nothing
    assert [a.id for a in lifecycle.open_alerts(conn)] == [1]
    conn.close()


def test_forged_presses_get_one_line_and_change_nothing(server, harness):
    """Callback data comes from the chat's client and can be anything: each forged press is a refusal
    line (not an internal error), and no alert is muted or acknowledged by it."""
    h = harness()
    ram(server, "forged1", 10.0, first=True)
    ram(server, "forged1", 99.0)
    h.run()
    (alert,) = [a for a in lifecycle.open_alerts(h.botdb) if a.machine == "forged1"]
    forged = {"zap:1": "unknown button 'zap'", "ack:0": "'0' is not an alert id", "ack:-1": "'-1' is not an alert id",
              f"ack:{2**70}": f"'{2**70}' is not an alert id", f"mute1h:{2**63}": f"'{2**63}' is not an alert id",
              "ack:\u00b2": "'\u00b2' is not an alert id", "mute1d:\u0661": "'\u0661' is not an alert id",
              "ack:" + "9" * 70: f"'{'9' * 40}' is not an alert id", "ack:x": "'x' is not an alert id",
              f"ack:{alert.id + 10**6}": f"alert {alert.id + 10**6} is unknown to this bot",
              "refresh:/sql select 1": "nothing to refresh for '/sql select 1'"}
    for data, line in forged.items():
        reply = press(h, data)
        assert isinstance(reply, ErrorReply) and reply.title == line, data
    assert active_mutes(h.botdb, h.t) == [] and lifecycle.by_id(h.botdb, alert.id).acknowledged_at is None
