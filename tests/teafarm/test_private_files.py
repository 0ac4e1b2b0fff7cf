"""The farm's files are its owner's only: databases (with their -wal/-shm), the outbox, the logs and
the data folder are created 0600 / 0700 whatever the umask, and files an older version left 0644
are tightened at start with one log line; the plots a copier writes stay readable by chia."""
from __future__ import annotations

import os
import signal
import stat
import subprocess
from pathlib import Path

from tests.helpers.backbone import TEAFARM, write_config
from tests.helpers.copier import make_plot
from tests.helpers.copier import write_config as copier_config
from tests.helpers.ports import free_port
from tests.helpers.waiting import wait_until


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def readable_by_others(folder: Path) -> list[str]:
    # the copier's status and lock files are made with the user's umask like its plots: the 0700
    # folder keeps them private
    return [f"{p.relative_to(folder)} {oct(mode(p))}" for p in [folder, *folder.rglob("*")]
            if mode(p) & 0o077 and not p.name.startswith("copier-status.json")]


def test_up_keeps_every_file_private_tightens_old_ones_and_moves_plots_readable(tmp_path):
    data = tmp_path / "data"
    (data / "logs").mkdir(parents=True, mode=0o755)
    os.chmod(data, 0o755)
    (data / "logs" / "teafarm.log").write_text("an older version's log\n")
    (data / "teafarm.db").write_bytes(b"")               # sqlite takes an empty file as a new database
    for old in (data / "logs" / "teafarm.log", data / "teafarm.db"):
        os.chmod(old, 0o644)
    source, target = tmp_path / "plotter", tmp_path / "farm"
    make_plot(source, "plot-k32-private.plot", 100_000)
    target.mkdir()
    config = write_config(tmp_path, free_port(), client={"machine_name": "upbox"},
                          copy={"sources": [str(source)], "targets": [str(target)], "stable_seconds": 0.0,
                                "scan_interval": 0.3})
    log_path = tmp_path / "up.log"
    with open(log_path, "wb") as log:
        up = subprocess.Popen([*TEAFARM, "up", "--config", str(config)], stdin=subprocess.DEVNULL, stdout=log,
                              stderr=subprocess.STDOUT, umask=0o022, cwd=tmp_path)
    try:
        wait_until(lambda: up.poll() is not None or "teafarm bot running" in log_path.read_text(), 60, "the bot to start")
        wait_until(lambda: up.poll() is not None or (
            (data / "client-outbox.db-wal").exists() and (data / "bot.db-wal").exists() and (data / "teafarm.db-wal").exists()
            and (target / "plot-k32-private.plot").exists()), 60, "the client, the bot and the copier to write")
        assert up.poll() is None, log_path.read_text()
        assert readable_by_others(data) == []
        assert mode(data) == 0o700 and mode(data / "client-outbox.db") == 0o600 and mode(data / "bot.db-shm") == 0o600
        # the copier runs with the user's umask: a plot is for chia's harvester, maybe another user
        assert mode(target / "plot-k32-private.plot") == 0o644
    finally:
        up.send_signal(signal.SIGTERM)
        up.wait(60)
    text = log_path.read_text()
    tightened = [line for line in text.splitlines() if "readable by their owner only" in line]
    assert len(tightened) == 1, text
    assert "made 4 existing file(s)" in tightened[0] and str(data / "teafarm.db") in tightened[0], tightened[0]
    assert "Traceback" not in text


def test_copy_makes_its_log_and_folder_private_but_not_the_plots(tmp_path):
    source, target = tmp_path / "s", tmp_path / "t"
    make_plot(source, "plot-k32-a.plot", 50_000)
    target.mkdir()
    done = subprocess.run([*TEAFARM, "copy", "--once", "--config", str(copier_config(tmp_path, [source], [target]))],
                          capture_output=True, text=True, timeout=60, umask=0o022)
    assert done.returncode == 0, done.stderr
    data = tmp_path / "data"
    assert mode(data) == 0o700 and mode(data / "logs" / "teafarm.log") == 0o600
    assert mode(target / "plot-k32-a.plot") == 0o644
