"""For copier tests: plot-like files, copier configs and status, and `teafarm copy` as a real process."""
from __future__ import annotations

import hashlib
import json
import os
import signal
import subprocess
import time
from pathlib import Path

from tests.helpers.backbone import TEAFARM


def make_plot(folder: Path, name: str, size: int, age: float = 600.0) -> str:
    """A plot-like file of random bytes, last modified `age` seconds ago; returns its hash."""
    folder.mkdir(parents=True, exist_ok=True)
    data = os.urandom(size)
    path = folder / name
    path.write_bytes(data)
    stamp = time.time() - age
    os.utime(path, (stamp, stamp))
    return digest(path)


def digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def write_config(tmp_path: Path, sources: list[Path], targets: list, **copy) -> Path:
    settings = {"sources": [str(s) for s in sources], "targets": [str(t) for t in targets],
                "stable_seconds": 0.0, "scan_interval": 0.3, "status_interval": 0.2, **copy}
    config = {"data_dir": str(tmp_path / "data"), "copy": settings}
    path = tmp_path / "config.yml"
    path.write_text(json.dumps(config), encoding="utf-8")   # JSON is YAML
    return path


def status_of(tmp_path: Path) -> dict:
    path = tmp_path / "data" / "copier-status.json"
    return json.loads(path.read_text()) if path.exists() else {"jobs": [], "targets": []}


def run_copy(config: Path, *args: str, timeout: float = 60.0) -> subprocess.CompletedProcess:
    """`teafarm copy --once` as a real process."""
    return subprocess.run([*TEAFARM, "copy", "--config", str(config), "--once", *args],
                          capture_output=True, text=True, timeout=timeout)


class CopierProcess:
    """`teafarm copy` running in the background; its log goes to a file the test can read."""

    def __init__(self, config: Path, log: Path) -> None:
        self.log_path = log
        self._log = open(log, "w", encoding="utf-8")
        self.process = subprocess.Popen([*TEAFARM, "copy", "--config", str(config)],
                                        stdout=self._log, stderr=subprocess.STDOUT)

    @property
    def log(self) -> str:
        return self.log_path.read_text(encoding="utf-8")

    def running(self) -> bool:
        return self.process.poll() is None

    def kill9(self) -> None:
        os.kill(self.process.pid, signal.SIGKILL)
        self.process.wait(timeout=10)

    def close(self) -> None:
        """Kill it if it still runs, and close its log."""
        if self.running():
            self.kill9()
        self._log.close()
