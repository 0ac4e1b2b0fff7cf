"""Grouping, the durable outbox under chat outages, transports that keep failing, quiet hours,
machine silence, the daily summary and the heartbeat."""
from __future__ import annotations

import asyncio
import datetime as dt
import time

import pytest
from aiohttp import web

from bot.alerts.botdb import get_cursor
from bot.alerts.heartbeat import ping
from bot.alerts.quiet import QuietHours
from bot.alerts.summary import queue_daily_summary
from bot.commands.base import CommandContext
from teafarm.typed_config import ConfigError
from bot.alerts.settings import RuleSettings
from bot.transports.base import Destination
from tests.helpers.alert_harness import Harness, RecordingTransport, no_debounce, text_of, titles
from tests.helpers.backbone import event
from tests.helpers.farm import DELETE, UPDATE, disk, harvester, plot

NODE = "e5" * 32


def test_a_disk_unplugged_is_one_message_disk_gone_plots_lost_unreadable(server, tmp_path):
    h = Harness(server.database, tmp_path, group_window=20.0, rules={})      # the built-in debounces (30 s, 120 s)
    server.send("nas1", disk("/mnt/hdd7"), disk("/"), *[plot(f"q{i}", NODE, disk="/mnt/hdd7") for i in range(5)])
    assert h.run() == []
    server.send("nas1", event("disk", DELETE, id="/mnt/hdd7"), plot("q0", NODE, kind=DELETE, disk="/mnt/hdd7"))
    server.send("nas1", plot("q1", NODE, kind=UPDATE, status=2, disk="/mnt/hdd7"), plot("q2", NODE, kind=DELETE, disk="/mnt/hdd7"))
    assert h.run() == [], "each waits for its debounce"
    h.advance(31)                                 # disk_gone's debounce is over: the same cause goes with it
    sent = h.run()
    assert len(sent) == 1
    assert sent[0].title == "nas1: 3 alerts" and sent[0].severity == "critical"
    assert [s.heading for s in sent[0].sections] == ["Disk gone", "Plots lost", "Unreadable plots"]
    text = text_of(sent[0])
    assert "/mnt/hdd7 on nas1 is gone (unmounted or unplugged); 5 plots were on it" in text
    assert f"harvester nas1 {NODE[:8]}: 3 plots lost (2 valid of 5 seen)" in text
    assert f"harvester: nas1 {NODE[:8]}" in text
    h.advance(200)
    assert h.run() == [], "announced once"


def test_problems_that_began_apart_are_separate_messages(server, tmp_path):
    h = Harness(server.database, tmp_path, group_window=20.0)
    server.send("apart1", event("ram", percent=10.0), disk("/data", 50.0))
    server.send("apart1", event("ram", UPDATE, percent=99.0))
    assert titles(h.run()) == ["RAM full"], "no debounce: sent at once, never held"
    h.advance(60)
    server.send("apart1", disk("/data", 99.0, UPDATE))
    assert titles(h.run()) == ["Disk almost full"]


def test_a_chat_outage_delays_alerts_and_loses_none(server, tmp_path):
    chat = RecordingTransport("chat")
    h = Harness(server.database, tmp_path, transports=[chat])
    chat.down = True
    server.send("outage1", harvester(NODE, True))
    server.send("outage1", harvester(NODE, False, UPDATE), event("ram", percent=99.0))
    assert h.run() == []
    assert h.botdb.execute("SELECT count(*) FROM outbox WHERE done = 0").fetchone()[0] == 2
    h.restart()                                   # a bot restart during the outage loses nothing either
    chat.down = False
    h.advance(600)                                # past the retry backoff
    sent = h.run()
    assert titles(sent) == ["outage1: 2 alerts"]
    assert [s.heading for s in sent[0].sections] == ["Harvester disconnected", "RAM full"]
    assert h.botdb.execute("SELECT count(*) FROM outbox WHERE done = 0").fetchone()[0] == 0


def test_one_failing_transport_is_reported_by_the_others_and_catches_up(server, tmp_path):
    discord, telegram = RecordingTransport("discord"), RecordingTransport("telegram")
    h = Harness(server.database, tmp_path, transports=[discord, telegram], transport_failures=3)
    telegram.down = True
    for i in range(3):
        server.send("flaky1", event("chia_service", id=f"svc{i}", state=3))
        server.send("flaky1", event("chia_service", UPDATE, id=f"svc{i}", state=2))
        h.run()
        h.advance(400)                            # past the transport's retry backoff
    h.run()
    assert titles(discord.sent).count("Chia service stopped") == 3
    assert "telegram keeps failing" in titles(discord.sent)
    assert telegram.sent == []
    telegram.down = False
    h.advance(400)
    h.run()
    h.run()
    assert titles(telegram.sent) == ["flaky1: 3 alerts"], "what it missed, in one message"
    assert [s.heading for s in telegram.sent[0].sections] == ["Chia service stopped"] * 3
    assert titles(discord.sent)[-1] == "telegram works again"
    assert not any("keeps failing" in t or "works again" in t for t in titles(telegram.sent))


def test_quiet_hours_hold_non_critical_alerts_until_the_window_ends(server, tmp_path):
    now = dt.datetime.now()
    start, end = (now - dt.timedelta(hours=1)).strftime("%H:%M"), (now + dt.timedelta(hours=1)).strftime("%H:%M")
    h = Harness(server.database, tmp_path, quiet_hours=f"{start}-{end}", reminder_first=86400.0)
    server.send("quiet1", event("ram", percent=50.0), harvester(NODE, True))
    server.send("quiet1", event("ram", UPDATE, percent=99.0), harvester(NODE, False, UPDATE))
    assert titles(h.run()) == ["Harvester disconnected"], "critical alerts are not held"
    h.advance(3700)
    assert titles(h.run()) == ["RAM full"], "held, not dropped"


@pytest.mark.parametrize("spec, inside, release", [
    ("23:00-07:00", "2026-01-01 23:30", "2026-01-02 07:00"),
    ("23:00-07:00", "2026-01-02 06:59", "2026-01-02 07:00"),
    ("23:00-07:00", "2026-01-02 07:00", None),
    ("01:00-06:00", "2026-01-02 03:00", "2026-01-02 06:00"),
    ("01:00-06:00", "2026-01-02 12:00", None),
])
def test_quiet_window_release_time(spec, inside, release):
    at = dt.datetime.strptime(inside, "%Y-%m-%d %H:%M").timestamp()
    expected = dt.datetime.strptime(release, "%Y-%m-%d %H:%M").timestamp() if release else at
    assert QuietHours.parse(spec).release_time(at) == expected


@pytest.mark.parametrize("spec", ["23-07", "25:00-07:00", "07:00-07:00", "night"])
def test_bad_quiet_hours_are_one_line_config_errors(spec):
    with pytest.raises(ConfigError, match=r"^bot\.alerts\.quiet_hours: "):
        QuietHours.parse(spec)


def test_machine_silent_fires_after_the_threshold_and_recovers_when_it_speaks(server, tmp_path):
    h = Harness(server.database, tmp_path, machine_silent=2.0)
    server.send("silent1", event("ram", percent=10.0))
    h.engine.started = time.time() - 100          # the bot has been listening for a while
    assert [r for r in h.run(tick=True) if "silent1" in text_of(r)] == []
    time.sleep(2.5)
    fired = [r for r in h.run(tick=True) if "silent1" in text_of(r)]
    assert titles(fired) == ["Machine silent"] and fired[0].severity == "critical"
    assert [r for r in h.run(tick=True) if "silent1" in text_of(r)] == [], "fires once"
    server.send("silent1", event("ram", UPDATE, percent=11.0))
    assert titles([r for r in h.run(tick=True) if "silent1" in text_of(r)]) == ["Recovered: Machine silent"]


def test_silence_counts_from_the_bot_start_not_from_before(server, tmp_path):
    server.send("silent2", event("ram", percent=10.0))
    time.sleep(2.5)
    h = Harness(server.database, tmp_path, machine_silent=2.0)       # started now: it could not hear before
    assert [r for r in h.run(tick=True) if "silent2" in text_of(r)] == []


def test_daily_summary_goes_through_the_outbox(server, tmp_path):
    h = Harness(server.database, tmp_path)
    server.send("summary1", harvester(NODE, True, plots=3))
    queue_daily_summary(CommandContext(h.reader, h.botdb, h.settings, lambda: h.t))
    sent = h.run()
    assert titles(sent) == ["Daily summary"]
    assert "machines online:" in text_of(sent[0]) and "missed signage points (24 h)" in text_of(sent[0])


def test_heartbeat_calls_the_url_and_survives_a_dead_one():
    async def scenario():
        hits = []

        async def handler(request):
            hits.append(request.path)
            return web.Response(text="ok")

        app = web.Application()
        app.router.add_get("/ping/abc", handler)
        runner = web.AppRunner(app)
        await runner.setup()
        site = web.TCPSite(runner, "127.0.0.1", 0)
        await site.start()
        port = site._server.sockets[0].getsockname()[1]
        try:
            assert await ping(f"http://127.0.0.1:{port}/ping/abc") is True
            assert await ping(f"http://127.0.0.1:{port}/missing") is False
        finally:
            await runner.cleanup()
        assert await ping(f"http://127.0.0.1:{port}/ping/abc", timeout=2) is False    # nobody listens now
        return hits

    assert asyncio.run(scenario()) == ["/ping/abc"]


def test_housekeeping_forgets_delivered_alerts_but_never_undelivered_ones(server, tmp_path):
    from bot.alerts import outbox
    chat = RecordingTransport("chat")
    h = Harness(server.database, tmp_path, transports=[chat])
    server.send("prune1", event("ram", percent=10.0))
    server.send("prune1", event("ram", UPDATE, percent=99.0))
    assert titles(h.run()) == ["RAM full"]
    chat.down = True
    server.send("prune1", event("ram", UPDATE, percent=10.0))
    assert h.run() == []
    assert outbox.prune(h.botdb, h.t + 1) == 1
    assert [r["done"] for r in h.botdb.execute("SELECT done FROM outbox")] == [0]


def test_a_plot_the_copier_announced_as_moving_is_not_lost_but_a_slow_loss_adds_up(server, tmp_path):
    node = "f6" * 32
    h = Harness(server.database, tmp_path)
    server.send("harv9", *[plot(f"m{i}", node, filename=f"/mnt/d1/plot-m{i}.plot") for i in range(4)])
    server.send("plotter9", event("copy_job", id="job-m0", plot="plot-m0.plot", source="/mnt/d1/plot-m0.plot",
                                  target="/mnt/d7", state=3))
    assert h.run() == []
    server.send("harv9", plot("m0", node, kind=DELETE, filename="/mnt/d1/plot-m0.plot"))
    assert h.run() == [], "moved by the copier: not lost"
    server.send("harv9", plot("m1", node, kind=DELETE, filename="/mnt/d1/plot-m1.plot"))
    first = h.run()
    assert titles(first) == ["Plots lost"] and "1 plots lost (2 valid of 3 seen)" in text_of(first[0])
    server.send("harv9", plot("m2", node, kind=DELETE, filename="/mnt/d1/plot-m2.plot"))
    assert h.run() == []
    assert "2 plots lost (1 valid of 3 seen)" in h.botdb.execute(
        "SELECT detail FROM alerts WHERE rule = 'plots_lost' AND machine = 'harv9'").fetchone()[0]


def test_a_new_bot_db_on_a_farm_with_history_announces_nothing_old_and_knows_the_plot_counts(server, tmp_path):
    node = "a7" * 32
    server.send("history1", harvester(node, True), *[plot(f"h{i}", node) for i in range(3)])
    server.send("history1", harvester(node, False, UPDATE))         # an old disconnect, before this bot existed
    h = Harness(server.database, tmp_path)                          # bot.db created now
    assert [r for r in h.run() if "history1" in text_of(r)] == []
    server.send("history1", plot("h0", node, kind=DELETE))
    lost = [r for r in h.run() if "history1" in text_of(r)]
    assert titles(lost) == ["Plots lost"] and "1 plots lost (2 valid of 3 seen)" in text_of(lost[0])


def silent_about(machine: str, replies) -> list[str]:
    return [r.title for r in replies if machine in text_of(r)]


def test_machine_silent_reminds_honours_mutes_and_the_grace(server, tmp_path):
    server.send("silent3", event("ram", percent=10.0))
    server.send("silent4", event("ram", percent=10.0))
    h = Harness(server.database, tmp_path / "a", machine_silent=2.0, reminder_first=600.0)
    h.engine.started = h.t - 100
    h.mute("machine:silent4")
    h.advance(5)
    assert silent_about("silent3", h.run(tick=True)) == ["Machine silent"]
    assert silent_about("silent4", h.transport.sent) == [], "muted"
    h.advance(601)
    assert silent_about("silent3", h.run(tick=True)) == ["Still: Machine silent (for 10 min)"]
    h.advance(601)
    assert silent_about("silent3", h.run(tick=True)) == [], "backed off to 20 min"
    server.send("silent5", event("ram", percent=10.0))
    g = Harness(server.database, tmp_path / "b", machine_silent=2.0, startup_grace=120.0)
    g.advance(5)
    assert silent_about("silent5", g.run(tick=True)) == [], "a machine just seen is in its grace"
    g.advance(120)
    assert silent_about("silent5", g.run(tick=True)) == ["Machine silent"]


def test_a_rule_that_fails_on_an_odd_transition_never_stops_the_others(server, tmp_path, caplog):
    from bot.alerts.rules.base import Rule

    class Broken(Rule):
        names = ("ram_full",)
        topics = ("ram",)

        def check(self, t, ctx):
            raise KeyError("a field this rule did not expect")

    h = Harness(server.database, tmp_path)
    h.engine.by_topic["ram"].insert(0, Broken())
    server.send("odd1", event("ram", percent=10.0), harvester(NODE, True))
    server.send("odd1", event("ram", UPDATE, percent=99.0), harvester(NODE, False, UPDATE))
    assert sorted(titles(h.run())) == ["odd1: 2 alerts"]
    assert "alert rule Broken failed" in caplog.text
    assert get_cursor(h.botdb, "alerts") == h.reader.max_seq(), "the cursor moved past it"


def test_the_first_full_sync_of_a_new_machine_is_no_alert_storm(server, tmp_path):
    h = Harness(server.database, tmp_path, startup_grace=120.0)
    h.engine.started = h.t - 1000                 # the bot has run for a while; a machine joins now
    nodes = [f"{i:02x}" * 32 for i in range(200, 203)]
    server.send("newbox", *[harvester(n, False) for n in nodes],
                *[plot(f"bad{i}", nodes[0], status=2) for i in range(40)], *[plot(f"ok{i}", nodes[0]) for i in range(10)],
                disk("/mnt/broken", error="Input/output error"))
    assert h.run() == []
    h.advance(121)
    sent = [r for r in h.run() if "newbox" in text_of(r)]
    assert len(sent) == 1, titles(sent)
    assert sorted(s.heading for s in sent[0].sections) == ["Disk gone", "Unreadable plots"]
    assert "40 plots cannot be read" in text_of(sent[0])


def test_a_recovery_goes_where_its_alert_went(server, tmp_path):
    """A destination that wants only critical alerts hears that its critical alert ended."""
    pager, log = Destination("chat", "1", min_severity="critical"), Destination("chat", "2")
    chat = RecordingTransport("chat", [pager, log])
    h = Harness(server.database, tmp_path, transports=[chat],
                rules={**no_debounce(), "ram_full": RuleSettings(debounce=0, severity="critical")})
    server.send("route1", event("ram", percent=10.0))
    server.send("route1", event("ram", UPDATE, percent=99.0))
    h.run()
    server.send("route1", event("ram", UPDATE, percent=10.0))
    h.run()
    assert [(key, r.title) for key, r in chat.sent_to] == [
        ("chat:1", "RAM full"), ("chat:2", "RAM full"), ("chat:1", "Recovered: RAM full"), ("chat:2", "Recovered: RAM full")]
