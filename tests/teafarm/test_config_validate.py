"""One `validate`: `teafarm config check` and every long-running command refuse the same mistakes
with the same one line (file, key or line, problem) and exit status 2, before they start anything."""
from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest

from teafarm.config import Config, parse_config_file, validate
from teafarm.typed_config import ConfigError
from tests.helpers.backbone import TEAFARM


def run(*args: str, cwd: Path) -> subprocess.CompletedProcess:
    environment = {k: v for k, v in os.environ.items() if k not in ("TEAFARM_CONFIG", "TEAFARM_DISCORD_TOKEN", "TEAFARM_TELEGRAM_TOKEN")}
    return subprocess.run(TEAFARM + list(args), capture_output=True, text=True, cwd=cwd, env=environment, timeout=60)


# (what the file says, what the line must say, the long-running command that must refuse it the same way)
MISTAKES = [
    ("server:\n  listen: 0.0.0.0\n", "server.listen: expected host:port (e.g. 0.0.0.0:8443), got '0.0.0.0'", "server"),
    ("server:\n  listen: 127.0.0.1:99999\n", "server.listen: the port must be a number from 1 to 65535, got '99999'", "bot"),
    ("client:\n  interval: 0\n", "client.interval: must be more than 0 seconds, got 0.0", "client"),
    ("client:\n  heartbeat: .nan\n", "client.heartbeat: must be a finite number, got nan", "up"),
    ("chia:\n  poll_interval: -.inf\n", "chia.poll_interval: must be a finite number, got -inf", "client"),
    ("server:\n  retention_days: {default: -1}\n", "server.retention_days.default: must be at least 1, got -1", "server"),
    ("server:\n  max_message_mb: 0\n", "server.max_message_mb: must be at least 4, got 0", "bot"),
    ("server:\n  max_message_mb: 100000\n", "server.max_message_mb: must be at most 2047, got 100000", "server"),
    ("bot:\n  alerts:\n    quiet_hours: 22-6\n", "bot.alerts.quiet_hours: expected HH:MM-HH:MM (e.g. 23:00-07:00), got '22-6'", "up"),
    ("bot:\n  alerts:\n    rules: {disk_ful: {enabled: false}}\n", "bot.alerts.rules.disk_ful: unknown alert (known: ", "server"),
    ("bot:\n  apprise:\n    urls: [{url: 'pushover://x', min_severity: loud}]\n",
     "bot.apprise.urls[0].url: not an Apprise URL it knows", "bot"),
    ("copy:\n  scan_interval: 0\n", "copy.scan_interval: must be more than 0 seconds, got 0.0", "copy"),
    ("logging:\n  backups: 1000000000\n", "logging.backups: must be at most 1000, got 1000000000", "client"),
    ("client:\n  interval: 5\n  heartbeat: 30\n  interval: 1\n", ":5: duplicate key 'interval' (first on line 3)", "client"),
]


@pytest.mark.parametrize("text, line, command", MISTAKES)
def test_config_check_and_start_refuse_the_same_mistake_with_the_same_line(tmp_path, text, line, command):
    path = tmp_path / "config.yml"
    path.write_text(f"data_dir: {tmp_path / 'data'}\n{text}")
    checked = run("config", "check", "--config", str(path), cwd=tmp_path)
    started = run(command, "--config", str(path), cwd=tmp_path)
    assert checked.returncode == 2 and started.returncode == 2, (checked, started)
    assert checked.stderr.strip() == started.stderr.strip() and started.stdout == ""
    lines = checked.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith(f"teafarm: error: {path}") and line in lines[0], lines
    assert not (tmp_path / "data").exists(), "refused before anything was created"


@pytest.mark.parametrize("content, line", [
    (b"\x7fELF\x02\x01\x01\x00\x00\x00", ": not a text file (it contains NUL bytes)"),
    (b"client:\n  machine_name: caf\xe9\n", ":2: not UTF-8 text (byte 0xe9)"),
    (b"client:\n  machine_name: \x1b[31mred\n", ":2: not valid YAML (unacceptable character #x001b"),
])
def test_files_that_are_not_text_are_one_line(tmp_path, content, line):
    path = tmp_path / "config.yml"
    path.write_bytes(content)
    checked = run("config", "check", str(path), cwd=tmp_path)
    assert checked.returncode == 2 and checked.stderr.strip().startswith(f"teafarm: error: {path}{line}"), checked.stderr
    assert len(checked.stderr.strip().splitlines()) == 1


def test_a_data_dir_that_is_a_file_or_below_one(tmp_path):
    afile = tmp_path / "afile"
    afile.write_text("x")
    for data_dir, problem in [(afile, f"data_dir: {afile} is a file, expected a folder"),
                              (afile / "data", f"data_dir: {afile} is a file, not a folder")]:
        path = tmp_path / "config.yml"
        path.write_text(f"data_dir: {data_dir}\n")
        checked = run("config", "check", "--config", str(path), cwd=tmp_path)
        started = run("server", "--config", str(path), cwd=tmp_path)
        assert checked.stderr.strip() == started.stderr.strip() == f"teafarm: error: {path}: {problem}"


@pytest.mark.parametrize("values, line", [
    ({"listen": "[::1]:8443"}, None),
    ({"listen": "::1:8443"}, "server.listen: an IPv6 address needs brackets, e.g. [::1]:8443, got '::1:8443'"),
    ({"listen": "localhost:0"}, "server.listen: the port must be a number from 1 to 65535, got '0'"),
    ({"names": []}, "server.names: needs at least one name"),
    ({"names": ["farm server"]}, "server.names[0]: 'farm server' is not a host name or IP address"),
    ({"retention_days": {"cpuu": 7}}, "server.retention_days.cpuu: not a topic (topics: default, machine_info"),
])
def test_server_values(tmp_path, values, line):
    from monitor.server.settings import ServerSettings

    config = Config(data_dir=tmp_path, server=ServerSettings(**values))
    if line is None:
        validate(config)
        return
    with pytest.raises(ConfigError) as refused:
        validate(config)
    assert str(refused.value).startswith(line), str(refused.value)


def test_the_documented_config_passes(tmp_path):
    from tests.helpers.paths import REPO

    validate(parse_config_file(REPO / "config.yml"))
