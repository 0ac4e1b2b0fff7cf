"""The `bot.alerts` section: documented defaults, and config mistakes as one line naming the key."""
from __future__ import annotations

import subprocess

import pytest

from bot.alerts.settings import AlertSettings
from bot.app import check_alert_settings
from teafarm.config import parse_config_file
from teafarm.typed_config import ConfigError
from tests.helpers.backbone import TEAFARM
from tests.helpers.paths import REPO



def test_config_yml_documents_the_alert_defaults():
    assert parse_config_file(REPO / "config.yml").bot.alerts == AlertSettings()


@pytest.mark.parametrize("alerts, message", [
    ("rules: {disk_ful: {enabled: false}}", "bot.alerts.rules.disk_ful: unknown alert (known: harvester_disconnected"),
    ("rules: {disk_full: {severity: loud}}", "bot.alerts.rules.disk_full.severity: must be one of critical, warning, info"),
    ("rules: {disk_full: {debounce: soon}}", "bot.alerts.rules.disk_full.debounce: expected a number"),
    ("daily_summary: '8 am'", "bot.alerts.daily_summary: expected HH:MM"),
    ("quiet_hours: night", "bot.alerts.quiet_hours: expected HH:MM-HH:MM"),
    ("group_window: -1", "bot.alerts.group_window: must not be negative"),
])
def test_alert_config_mistakes_are_one_line(tmp_path, alerts, message):
    config = tmp_path / "config.yml"
    config.write_text(f"data_dir: {tmp_path / 'data'}\nbot:\n  alerts:\n    {alerts}\n")
    with pytest.raises(ConfigError) as error:
        check_alert_settings(parse_config_file(config).bot.alerts)
    assert message in str(error.value) and "\n" not in str(error.value)
    result = subprocess.run([*TEAFARM, "bot", "--config", str(config)], capture_output=True, text=True, timeout=60)
    assert result.returncode == 2 and message in result.stderr and "Traceback" not in result.stderr


def test_the_bot_schedules_summary_heartbeat_and_housekeeping(tmp_path):
    config = tmp_path / "config.yml"
    config.write_text(f"data_dir: {tmp_path / 'data'}\nbot:\n  alerts:\n    daily_summary: '07:45'\n"
                      f"    heartbeat_url: http://127.0.0.1:9/ping\n")
    from teafarm.apps import bot_app
    app = bot_app(parse_config_file(config), transports=[])
    app._schedule()
    jobs = {job.id: job for job in app.scheduler.get_jobs()}
    # no silence check here: the alert engine runs its clock rules when they ask (test_timer_alerts.py)
    assert set(jobs) == {"bot-housekeeping", "daily-rollup", "daily-summary", "heartbeat"}
    assert str(jobs["daily-summary"].trigger) == "cron[hour='7', minute='45']"
    assert jobs["heartbeat"].args == ("http://127.0.0.1:9/ping",)
    app.dispatcher.close()
