"""Pieces the benchmarks share: a `teafarm server` or `teafarm bot` started through the CLI on its
own data dir and port, one client certificate per simulated machine, CPU and memory of a process
with its children, percentiles."""
from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import grpc
import psutil
import yaml

from monitor.certs import CertPair, ca_pair, ensure_client_cert, issue
from monitor.tls import client_credentials

ROOT = Path(__file__).resolve().parents[1]
HOST = "127.0.0.1"
START_TIMEOUT = 30.0       # seconds for the server to listen


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((HOST, 0))
        return sock.getsockname()[1]


def teafarm_command() -> Path:
    beside = Path(sys.executable).parent / "teafarm"
    return beside if beside.exists() else ROOT / ".venv" / "bin" / "teafarm"


def _merge(base: dict, extra: dict) -> dict:
    for key, value in extra.items():
        if isinstance(value, dict) and isinstance(base.get(key), dict):
            _merge(base[key], value)
        else:
            base[key] = value
    return base


class ServerProcess:
    """`teafarm server` (or `teafarm bot`: command="bot") with its own data dir and port; stopped
    (SIGTERM, then SIGKILL) on exit. `settings` go over the config written here. With `pipes`,
    stdin and stdout are pipes (the bot's console transport) and only stderr goes to the log."""

    def __init__(self, folder: Path, command: str = "server", settings: dict | None = None,
                 pipes: bool = False, ready_text: str = "") -> None:
        self.data_dir = folder / "data"
        self.port = free_port()
        self.target = f"{HOST}:{self.port}"
        self.config = folder / "config.yml"
        self.log = folder / f"{command}.out"
        self.command = command
        self.settings = settings or {}
        self.pipes = pipes
        self.ready_text = ready_text       # a log line that says the process is up, besides listening
        self.proc: subprocess.Popen | None = None

    @property
    def database(self) -> Path:
        return self.data_dir / "teafarm.db"

    def __enter__(self) -> "ServerProcess":
        config = {"data_dir": str(self.data_dir), "logging": {"level": "WARNING", "file_level": "WARNING"},
                  "server": {"listen": self.target, "names": [HOST]}}
        self.config.write_text(yaml.safe_dump(_merge(config, self.settings)))
        with open(self.log, "wb") as out:
            pipes = dict(stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=out) if self.pipes else \
                dict(stdout=out, stderr=subprocess.STDOUT)
            self.proc = subprocess.Popen([str(teafarm_command()), self.command, "--config", str(self.config)],
                                         cwd=self.config.parent, env={**os.environ, "PYTHONUNBUFFERED": "1"}, **pipes)
        deadline = time.monotonic() + START_TIMEOUT
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"teafarm {self.command} exited with {self.proc.returncode}:\n{self.log_tail()}")
            if self._listening() and (not self.ready_text or self.ready_text in self.log_text()):
                return self
            time.sleep(0.05)
        self.stop()
        raise RuntimeError(f"teafarm {self.command} did not start on {self.target} within {START_TIMEOUT:g} s")

    def __exit__(self, *exc) -> None:
        self.stop()

    def _listening(self) -> bool:
        try:
            with socket.create_connection((HOST, self.port), timeout=0.2):
                return True
        except OSError:
            return False

    def stop(self) -> int | None:
        """SIGTERM (SIGKILL after 15 s); returns the exit status."""
        if self.proc is None:
            return None
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(timeout=5)
        return self.proc.returncode

    def log_text(self) -> str:
        try:
            return self.log.read_text(errors="replace")
        except OSError:
            return ""

    def log_tail(self, lines: int = 20) -> str:
        return "\n".join(self.log_text().splitlines()[-lines:])

    def cpu_seconds(self) -> tuple[float, float]:
        """CPU seconds of the gRPC process and of its store writer (with multiprocessing's tracker)."""
        server = psutil.Process(self.proc.pid)
        return cpu_used(server), sum(cpu_used(child) for child in _children(server))

    def rss(self) -> int:
        """Resident memory of the process and its children, bytes."""
        server = psutil.Process(self.proc.pid)
        return sum(_rss(p) for p in [server, *_children(server)])


def _children(process: psutil.Process) -> list[psutil.Process]:
    try:
        return process.children(recursive=True)
    except psutil.Error:
        return []


def _rss(process: psutil.Process) -> int:
    try:
        return process.memory_info().rss
    except psutil.Error:      # a child that just exited
        return 0


def cpu_used(process: psutil.Process) -> float:
    try:
        times = process.cpu_times()
    except psutil.Error:
        return 0.0
    return times.user + times.system


def issue_machine_cert(data_dir: Path, certificate: Path, key: Path, machine: str) -> CertPair:
    """A client certificate of its own for a simulated machine, signed by the farm CA in data_dir."""
    pair = CertPair(certificate, key)
    issue(ca_pair(data_dir), pair, machine, [machine], server=False)
    return pair


def machine_credentials(data_dir: Path, machine: str, make=ensure_client_cert) -> grpc.ChannelCredentials:
    certs = data_dir / "certs"
    pair = make(data_dir, certs / f"{machine}.crt", certs / f"{machine}.key", machine)
    return client_credentials(pair, certs / "ca.crt")


def percentile(samples: list[float], fraction: float) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, int(fraction * len(ordered)))]


def node_of(i: int) -> str:
    """A harvester node id (64 hex) whose first 8 digits, the short id alerts show, are i in hex."""
    return f"{i:08x}" * 8
