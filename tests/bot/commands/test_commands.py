"""Every command against a farm database filled through the real server (a `teafarm server`
process, real gRPC over mutual TLS)."""
from __future__ import annotations

import asyncio

import subprocess
import time
from contextlib import closing

import pytest

from bot import render
from bot.alerts.botdb import connect_botdb
from bot.alerts.settings import AlertSettings
from bot.commands.base import CommandContext
from bot.commands.dispatch import COMMANDS, Dispatcher
from bot.stats import rollup
from bot.transports.base import Incoming
from monitor.store.reader import StoreReader
from tests.helpers.backbone import TEAFARM, event
from tests.helpers.farm import disk, farming, harvester, identity, plot, start_farm_server

NODE_A = "a1" * 32
NODE_B = "b2" * 32
HOUR, DAY = 3600.0, 86400.0


@pytest.fixture(scope="module")
def farm(tmp_path_factory):
    """A small farm: a farmer with two harvesters, one harvester machine, a plotter, a machine named 123."""
    server = start_farm_server(tmp_path_factory.mktemp("commands") / "farm")
    now = time.time()
    server.send("farmer1",
                event("machine_info", hostname="farmer1", teafarm_version="0.1.0", os="Linux"),
                event("full_node", synced=True, peak_height=6_000_000, netspace_bytes=30 * 2**60, network="mainnet", difficulty=1000),
                event("wallet", synced=True, height=6_000_000, farmed_amount=2_000_000_000_000, blocks_won=1),
                event("chia_service", id="farmer", state=3, version="2.5.7", log_level="WARNING"),
                harvester(NODE_A, True, plots=4, invalid_plots=1, total_plot_size=4 * 108_800_000_000,
                          total_effective_size=4 * 108_800_000_000, last_answer_time=now - 5),
                harvester(NODE_B, False, plots=2, disconnected_since=now - 2 * HOUR),
                event("pool", id="c0ffee" * 10 + "abcd", launcher_id="c0ffee" * 10 + "abcd", pool_url="https://pool.example",
                      current_points=1234, current_difficulty=5, reachable=True),
                event("partial", timestamp=now - HOUR, launcher_id="c0ffee" * 10 + "abcd", accepted=True),
                event("partial", timestamp=now - HOUR, launcher_id="c0ffee" * 10 + "abcd", accepted=False, error="too late"),
                event("signage", timestamp=now - 30 * 60, minute=now - 30 * 60, seen=60, skipped=4),
                event("proof", timestamp=now - 2 * HOUR, harvester_node_id=NODE_A, plot="p1"),
                event("proof", timestamp=now - 2 * DAY, harvester_node_id=NODE_A, plot="p2"),
                event("block", timestamp=now - 3 * HOUR, height=5_999_000, signage_point_index=12),
                # farming buckets by each event's own time: the last hour, 3 h, 2 days, 6 days and 8 days ago
                farming(NODE_A, now - 30 * 60, expected=64, missed=2, late5=3, late28=1, p95=0.4, proofs=1),
                farming(NODE_A, now - 3 * HOUR, expected=64, missed=10, p95=0.9),
                farming(NODE_A, now - 2 * DAY, expected=64, missed=20, p95=2.5),
                farming(NODE_A, now - 6 * DAY, expected=64, missed=30, p95=0.2),
                farming(NODE_A, now - 8 * DAY, expected=64, missed=40, p95=0.2),
                farming(NODE_B, now - 30 * 60, expected=64, missed=0, p95=6.0))
    server.send("harv1", identity(NODE_A),
                plot("p1", NODE_A), plot("p2", NODE_A), plot("p3", NODE_A, compression=7, size=80_000_000_000, disk="/mnt/d2"),
                plot("bad.plot", NODE_A, status=2, disk="/mnt/d2"),
                disk("/mnt/d1", 99.0), disk("/mnt/d2", 50.0), disk("/mnt/gone", 10.0, error="Input/output error"))
    server.send("123", disk("/", 20.0), event("ram", percent=40.0, total_bytes=8 * 2**30, used_bytes=3 * 2**30))
    server.send("plotter1",
                event("plotter_job", id="job1", plotter="madmax", k=32, phase="P2", progress=0.4, eta_seconds=3000),
                event("copy_job", id="c1", plot="plot-k32-x.plot", source="/tmp/x", target="/mnt/d1", state=2,
                      bytes_total=100, bytes_done=50, rate_bytes_per_s=200 * 2**20),
                event("copy_job", id="c2", plot="plot-k32-y.plot", source="/tmp/y", target="/mnt/d2", state=4,
                      error="No space left on device", finished=now - 60),
                event("copy_target", id="/mnt/d1", state=1, free_bytes=2 * 10**12, writers=1))
    yield server
    server.stop()


@pytest.fixture(scope="module")
def dispatcher(farm):
    d = Dispatcher(lambda: CommandContext(StoreReader(farm.database), connect_botdb(farm.data_dir / "bot.db"), AlertSettings()))
    yield d
    d.close()


def ask(dispatcher: Dispatcher, text: str, admin: bool = False) -> str:
    return render.plain(dispatcher.run(Incoming("console", "c", "u1", "alice", text, is_dm=True, is_admin=admin)))


def test_farm_summarises_the_whole_farm(dispatcher):
    text = ask(dispatcher, "/farm")
    assert "machines online: 0 / 4" in text            # every test stream has closed
    assert "harvesters connected: 1 / 2" in text
    assert "plots: 6 (" in text
    assert "last 24 h: 1 proof, 1 block" in text
    assert "missed signage points (24 h): 13 of 192 (6.8 %), 4 of 64 skipped by the full node" in text   # 1 answer too late
    assert "full node: synced, height 6,000,000" in text
    assert "plot filter 1/256 (expected eligible plots per signage point: 0.0)" in text and "netspace: 30.00 EiB" in text
    assert "expected time to win:" in text and "farmed 2 XCH" in text
    assert "open alerts: 0" in text


def test_harvesters_lists_each_by_machine_and_short_node_id(dispatcher):
    text = ask(dispatcher, "/harvesters")
    assert "Harvesters (1 of 2 connected)" in text
    assert f"harv1 {NODE_A[:8]}" in text and f"farmer1 {NODE_B[:8]}" in text   # B has no client: the farmer's name
    assert "GONE since 2 h" in text
    assert "4 valid, 1 invalid" in text
    assert "missed 13 of 128 SPs (10.2 %)" in text and text.endswith("1 proof")
    assert "lookup p95 <= 1 s" in text and "lookup p95 <= 8 s" in text     # node A / node B


@pytest.mark.parametrize("window, missed, expected", [("1h", 3, 64), ("24h", 13, 128), ("7d", 63, 256), ("", 13, 128)])
def test_missed_sums_buckets_by_their_own_time(dispatcher, window, missed, expected):
    """Buckets sent now but stamped 2, 6 or 8 days ago count in the window of their own time."""
    lines = ask(dispatcher, f"/missed {window}").splitlines()
    node_a = next(line for line in lines if line.strip().startswith(f"harv1 {NODE_A[:8]}"))
    assert node_a.split()[2:5] == [str(expected), str(expected - missed), str(missed)]
    farm = next(line for line in lines if line.strip().startswith("all "))
    assert farm.split()[1:4] == [str(expected + 64), str(expected + 64 - missed), str(missed)]   # node B: 64, none missed


def test_missed_shows_late_answers_and_farm_level_skips(dispatcher):
    text = ask(dispatcher, "/missed 1h")
    node_a = next(line for line in text.splitlines() if line.strip().startswith(f"harv1 {NODE_A[:8]}"))
    assert "3 (4.7%)" in node_a and "1 (1.6%)" in node_a
    assert "4 signage points skipped by the node of 64 (6.2 %)" in text


def test_missed_rejects_a_bad_window_in_one_line(dispatcher):
    text = ask(dispatcher, "/missed yesterday")
    assert text == "'yesterday' is not a window: use 1h, 24h or 7d (or a number of hours/days up to 90d)"


def test_machines_show_versions_and_a_numeric_name_stays_text(dispatcher):
    text = ask(dispatcher, "/machines")
    assert "farmer1: OFFLINE" in text and "teafarm test" in text
    assert "123: OFFLINE" in text and "ram 40%" in text


def test_disks_of_one_machine_and_unknown_machine(dispatcher):
    text = ask(dispatcher, "/disks 123")
    assert "Disks of 123" in text and "/: 20% used" in text and "/mnt/d1" not in text
    assert "/mnt/gone: UNREADABLE (Input/output error)" in ask(dispatcher, "/disks harv1")
    unknown = ask(dispatcher, "/disks nosuch")
    assert unknown.startswith("unknown machine 'nosuch' (known: 123, farmer1, harv1, plotter1)")
    assert "\n" not in unknown


def test_plots_summarises_per_harvester_with_k_and_compression(dispatcher):
    text = ask(dispatcher, "/plots")
    assert "Plots (4 on 1 harvester)" in text
    assert f"harv1 {NODE_A[:8]} (2 disks)" in text
    assert "2 x k32: 202.66 GiB" in text and "1 x k32 C7" in text
    assert "1 invalid (cannot be read): /mnt/d2/plot-k32-bad.plot.plot" in text    # no k, no size: the file


def test_pool_counts_partials_in_24h(dispatcher):
    text = ask(dispatcher, "/pool")
    assert "https://pool.example" in text and "points 1,234" in text
    assert "partials 1 accepted, 1 failed" in text


def test_node_and_wallet(dispatcher):
    node = ask(dispatcher, "/node")
    assert "network mainnet" in node and "farmer1 farmer: running 2.5.7 (log level hides what teafarm reads" in node
    wallet = ask(dispatcher, "/wallet")
    assert "wallet: synced, height 6,000,000, farmed 2 XCH" in wallet and "blocks won 1" in wallet


def test_plotting_and_copy(dispatcher):
    assert "plotter1 madmax k32: P2 40%" in ask(dispatcher, "/plotting")
    text = ask(dispatcher, "/copy")
    assert "plot-k32-x.plot -> /mnt/d1: copying 50.0 %" in text
    assert "FAILED plotter1 plot-k32-y.plot: No space left on device" in text
    assert "/mnt/d1: available" in text


def test_mute_alerts_unmute(dispatcher):
    assert ask(dispatcher, "/alerts") == "Alerts\nNo open alert.\n[Refresh]"
    assert "rule disk_full muted for 2 h" in ask(dispatcher, "/mute disk_full 2h")
    assert f"harvester harv1 {NODE_A[:8]} muted for 30 min" in ask(dispatcher, f"/mute {NODE_A[:6]} 30m")
    assert "machine 123 muted for 24 h" in ask(dispatcher, "/mute 123 1d")
    listed = ask(dispatcher, "/alerts")
    assert "rule disk_full for" in listed and "(by alice)" in listed
    assert ask(dispatcher, "/unmute disk_full") == "Unmuted\nrule disk_full unmuted"
    assert ask(dispatcher, "/unmute disk_full") == "rule disk_full is not muted"
    assert ask(dispatcher, "/unmute all") == "Unmuted\n2 mutes removed"
    ask(dispatcher, "/mute 123 1d")
    assert ask(dispatcher, "/unmute all") == "Unmuted\n1 mute removed"


@pytest.mark.parametrize("text, answer", [
    ("/mute", "usage: /mute <alert|machine|harvester> <duration>, e.g. /mute disk_full 2h"),
    ("/mute disk_full soon", "'soon' is not a duration: use a number and s, m, h, d or w (e.g. 30m, 2h, 1d)"),
    ("/mute nothing 1h", "'nothing' is not an alert, machine or harvester"),
    ("/unmute", "usage: /unmute <alert|machine|harvester> or /unmute all"),
    ("/farm now", "/farm takes no arguments (got 'now')"),
    ("/frm", "Unknown command /frm: type /help for the list."),
    ("/subscribe loud", "/subscribe critical|warning|all: which alerts to get in your direct messages (got 'loud')"),
    ("/test", "/test works in a chat with the running bot (teafarm bot)"),       # `teafarm ask` has no chat to test
    ("", "Type /help for the list of commands."),
])
def test_bad_arguments_get_one_helpful_line(dispatcher, text, answer):
    reply = ask(dispatcher, text)
    assert reply.startswith(answer) and "\n" not in reply and "Traceback" not in reply


def test_help_lists_every_command_and_sql_only_for_admins(dispatcher):
    text = ask(dispatcher, "/help")
    for command in COMMANDS:
        assert (f"/{command.name}" in text) == (not command.admin)
    assert "/sql <select>" in ask(dispatcher, "/help", admin=True)


def test_sql_for_admins_only_read_only_with_limits(dispatcher):
    assert ask(dispatcher, "/sql SELECT 1") == "/sql is for admins only."
    text = ask(dispatcher, "/sql SELECT machine FROM machines WHERE machine = '123'", admin=True)
    assert text.splitlines()[-1].strip() == "123" and text.startswith("SQL (1 row)")
    wide = ask(dispatcher, "/sql SELECT 7 AS n, printf('%.100c', 'w') AS wide", admin=True)
    assert wide.splitlines()[-1].strip() == "7 | " + "w" * 100       # fits the width: not cut at 40
    two = ask(dispatcher, "/sql SELECT printf('%.90c', 'w') AS a, printf('%.300c', 'x') AS b", admin=True)
    row = two.splitlines()[-1].strip()         # too wide together: the long cells are cut to fit 120 characters
    assert row == "w" * 57 + "… | " + "x" * 57 + "…" and len(row) == 119
    # wide characters take two columns, so a row of them is cut to the line's width too; a line
    # break in a cell stays inside its row
    cjk = ask(dispatcher, "/sql SELECT printf('%.100c', '界') AS w, 'a' || char(10) || 'b' AS nl", admin=True)
    assert cjk.splitlines()[-1].strip() == "界" * 56 + "… | a↵b"
    for query, error in [("ATTACH DATABASE '/tmp/x.db' AS x", "sql: only SELECT"),
                         ("SELECT * FROM nosuch", "sql: no such table: nosuch"),
                         ("DELETE FROM machines", "sql: only SELECT"),
                         ("PRAGMA journal_mode = DELETE", "sql: only SELECT")]:
        answer = ask(dispatcher, f"/sql {query}", admin=True)
        assert answer.startswith(error) and "\n" not in answer, answer
    slow = ask(dispatcher, "/sql WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n) SELECT max(i) FROM n", admin=True)
    assert slow == "sql: query took longer than 2 s and was stopped"
    many = ask(dispatcher, "/sql WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n LIMIT 500) SELECT i FROM n", admin=True)
    assert many.startswith("SQL (first 50 rows)") and len(many.splitlines()) == 52


def test_teafarm_ask_prints_the_reply_from_a_shell(farm):
    result = subprocess.run([*TEAFARM, "ask", "/disks 123", "--config", str(farm.config)], capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    assert "Disks of 123" in result.stdout and "/: 20% used" in result.stdout


def test_teafarm_ask_without_a_database_says_so(tmp_path):
    config = tmp_path / "config.yml"
    config.write_text(f"data_dir: {tmp_path / 'nothing'}\n")
    result = subprocess.run([*TEAFARM, "ask", "/farm", "--config", str(config)], capture_output=True, text=True, timeout=60)
    assert result.returncode == 2
    assert result.stderr.strip() == f"teafarm: error: {tmp_path / 'nothing' / 'teafarm.db'}: no farm database yet (start `teafarm bot` or `teafarm up` first)"


def test_empty_farm_answers_every_command_in_one_helpful_line(tmp_path):
    server = start_farm_server(tmp_path / "empty")
    try:
        d = Dispatcher(lambda: CommandContext(StoreReader(server.database), connect_botdb(server.data_dir / "bot.db"), AlertSettings()))
        for command in ("/farm", "/harvesters", "/missed 7d", "/machines", "/disks", "/plots", "/pool", "/node",
                        "/wallet", "/plotting", "/copy"):
            text = ask(d, command)
            assert "No machine has reported yet" in text, (command, text)
        assert ask(d, "/disks x") == "unknown machine 'x' (no machine has reported yet)"
        d.close()
    finally:
        server.stop()


def test_buckets_delivered_late_land_in_their_own_hour_after_the_rollup_moved_on(farm_server, tmp_path):
    now = time.time()
    farm_server.send("late1", *[farming(NODE_A, now - h * HOUR - 600, expected=64, missed=1) for h in range(0, 100, 3)])
    d = Dispatcher(lambda: CommandContext(StoreReader(farm_server.database), connect_botdb(tmp_path / "bot.db"), AlertSettings()))
    try:
        def missed_7d() -> list[str]:
            lines = ask(d, "/missed 7d").splitlines()
            return next(line for line in lines if line.strip().startswith("all ")).split()[1:4]
        assert missed_7d() == ["2176", "2142", "34"]            # 34 buckets, all in the hourly rollup now
        farm_server.send("late1", farming(NODE_A, now - 3 * DAY - 1800, expected=64, missed=5))   # from an outbox, late
        assert missed_7d() == ["2240", "2201", "39"]
        assert ask(d, "/missed 1h").splitlines()[-1].split()[1:4] == ["64", "63", "1"]
        before = [ask(d, f"/missed {w}") for w in ("4d", "7d", "30d")]
        with closing(connect_botdb(tmp_path / "bot.db")) as botdb:
            rollup.prune(botdb, now + 5 * DAY)      # 5-minute steps older than 3 days thin out to hours
            thinned = botdb.execute("SELECT slot / 12, count(*) FROM farming_cum WHERE slot < ? GROUP BY 1",
                                    (int((now - 3 * DAY) // rollup.SLOT),)).fetchall()
            assert thinned and all(count == 1 for _hour, count in thinned)
        assert [ask(d, f"/missed {w}") for w in ("4d", "7d", "30d")] == before
    finally:
        d.close()


def test_a_first_start_on_a_big_farm_answers_at_once_and_says_statistics_are_still_indexing(farm_server, tmp_path, monkeypatch):
    monkeypatch.setattr(rollup, "CHUNK", 5)         # stands in for millions of buckets
    now = time.time()
    farm_server.send("big1", *[farming(NODE_A, now - 60 * i, expected=6, missed=1) for i in range(20)])
    d = Dispatcher(lambda: CommandContext(StoreReader(farm_server.database), connect_botdb(tmp_path / "bot.db"), AlertSettings()))
    try:
        assert "still being indexed" in ask(d, "/farm")          # a command folds one chunk, not all
        with closing(StoreReader(farm_server.database)) as reader, closing(connect_botdb(tmp_path / "bot.db")) as botdb:
            rollup.catch_up(reader, botdb)                       # the bot's background fold
        text = ask(d, "/farm")
        assert "still being indexed" not in text and "missed signage points (24 h): 20 of 120" in text
    finally:
        d.close()


def test_teafarm_ask_into_a_pipe_that_closes_early_is_no_error(farm):
    # `true` exits without reading: the reply is written into a closed pipe
    result = subprocess.run(["bash", "-c", f"{TEAFARM[0]} ask /harvesters --config {farm.config} | true; exit ${{PIPESTATUS[0]}}"],
                            capture_output=True, text=True, timeout=60)
    assert result.returncode == 0 and result.stderr == ""


def test_suggestions_for_autocomplete_come_from_the_farm_and_the_mutes(dispatcher):
    def suggest(kind: str, typed: str) -> list[str]:
        return asyncio.run(dispatcher.suggest(Incoming("discord", "c", "u1", "alice", "/mute"), kind, typed))

    everyone = suggest("machine", "")
    assert "123" in everyone and everyone == sorted(everyone) and suggest("machine", "harv") == ["harv1"]
    assert suggest("window", "") == ["1h", "24h", "7d", "30d"]
    assert suggest("target", "disk_fu") == ["disk_full"]
    assert f"harv1 {NODE_A[:8]}" in suggest("harvester", "harv")
    ask(dispatcher, "/mute disk_full on harv1 1h")
    assert suggest("muted", "") == ["all", "disk_full on harv1"]
    assert ask(dispatcher, "/unmute disk_full on harv1") == "Unmuted\nrule disk_full on machine harv1 unmuted"
