"""Helpers for copier tests: small tmpfs disks, plot-like files, and the copier as a real process."""
from __future__ import annotations

import hashlib
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

TEAFARM = Path(sys.executable).parent / "teafarm"


def mounted(folder: Path) -> bool:
    target = os.path.realpath(folder)
    with open("/proc/mounts", encoding="utf-8") as mounts:
        return any(line.split()[1] == target for line in mounts)


@pytest.fixture
def tmpfs(tmp_path):
    """mount(name, size_mb) -> a fresh tmpfs folder (a disk that can fill up or vanish).
    Skips where mounting is not allowed; under CI (CI=true) that skip is a failure."""
    mounts: list[Path] = []

    def mount(name: str, size_mb: int) -> Path:
        folder = tmp_path / name
        folder.mkdir()
        try:
            done = subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={size_mb}m", "tmpfs", str(folder)],
                                  capture_output=True, text=True)
            problem = done.stderr.strip() if done.returncode else ""
        except FileNotFoundError:
            problem = "no mount command"
        if problem:
            reason = f"cannot mount a tmpfs ({problem}): this test needs a disk that fills up or vanishes"
            if os.environ.get("CI") == "true":
                pytest.fail(reason + " (CI=true: a skipped mount test counts as a failure)")
            pytest.skip(reason)
        mounts.append(folder)
        return folder

    yield mount
    for folder in reversed(mounts):
        while mounted(folder):   # the test may have unmounted it already (umount -l)
            subprocess.run(["umount", "-l", str(folder)], check=True)


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


def wait_for(predicate, what: str, timeout: float = 45.0, interval: float = 0.02):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(interval)
    raise AssertionError(f"timed out after {timeout:.0f} s waiting for {what}")


def run_copy(config: Path, *args: str, timeout: float = 60.0) -> subprocess.CompletedProcess:
    """`teafarm copy --once` as a real process."""
    return subprocess.run([str(TEAFARM), "copy", "--config", str(config), "--once", *args],
                          capture_output=True, text=True, timeout=timeout)


class CopierProcess:
    """`teafarm copy` running in the background; its log goes to a file the test can read."""

    def __init__(self, config: Path, log: Path) -> None:
        self.log_path = log
        self._log = open(log, "w", encoding="utf-8")
        self.process = subprocess.Popen([str(TEAFARM), "copy", "--config", str(config)],
                                        stdout=self._log, stderr=subprocess.STDOUT)

    @property
    def log(self) -> str:
        return self.log_path.read_text(encoding="utf-8")

    def running(self) -> bool:
        return self.process.poll() is None

    def kill9(self) -> None:
        os.kill(self.process.pid, signal.SIGKILL)
        self.process.wait(timeout=10)


@pytest.fixture
def start_copier(tmp_path):
    started: list[CopierProcess] = []

    def start(config: Path) -> CopierProcess:
        copier = CopierProcess(config, tmp_path / f"copier-{len(started)}.log")
        started.append(copier)
        return copier

    yield start
    for copier in started:
        if copier.running():
            copier.kill9()
        copier._log.close()
