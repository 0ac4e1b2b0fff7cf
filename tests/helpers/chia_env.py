"""A real chia-blockchain 2.7.5 farmer + harvester in a private CHIA_ROOT with its own ports.

Never touches a user's farm: CHIA_ROOT and CHIA_KEYS_ROOT live under a temporary folder, every port
chia's config names is moved to a free port, and `refuse_if_default_ports_busy` stops the tests
before anything starts when one of chia's default ports is in use (a farm runs on this machine).
"""
from __future__ import annotations

import fcntl
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import yaml

from tests.helpers.ports import free_port

CHIA_VERSION = "2.7.5"
DEFAULT_PORTS = (55400, 8444, 8447, 8555, 8559, 8560, 9256, 58444)
HERE = Path(__file__).parent
# scripts run with the chia venv's python (they import chia, not teafarm)
MAKE_SMALL_PLOTS = HERE / "make_small_plots.py"
STAND_IN_FULL_NODE = HERE / "stand_in_full_node.py"
VENV = Path(os.environ.get("TEAFARM_CHIA_VENV", Path.home() / ".cache" / "teafarm-tests" / f"chia-{CHIA_VERSION}"))


def ensure_chia_venv() -> Path:
    """chia-blockchain in its own venv (its pins fight ours), installed with uv, reused once complete.
    One test process installs it at a time (pytest -n 2 runs two)."""
    VENV.parent.mkdir(parents=True, exist_ok=True)
    with open(VENV.parent / f"chia-{CHIA_VERSION}.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        return _install_chia_venv()


def _install_chia_venv() -> Path:
    marker = VENV / ".teafarm-complete"
    if marker.exists() and (VENV / "bin" / "chia").exists():
        return VENV
    shutil.rmtree(VENV, ignore_errors=True)
    VENV.parent.mkdir(parents=True, exist_ok=True)
    uv = [sys.executable, "-m", "uv"]
    # built in place (console scripts carry the venv's absolute path, it cannot be moved); the
    # explicit --python matters: `python -m uv pip` would otherwise install into OUR venv
    subprocess.run([*uv, "venv", "-q", "--python", sys.executable, str(VENV)], check=True)
    subprocess.run([*uv, "pip", "install", "-q", "--python", str(VENV / "bin" / "python"),
                    f"chia-blockchain=={CHIA_VERSION}"], check=True)
    marker.write_text(CHIA_VERSION)
    return VENV


def busy_default_ports() -> list[int]:
    busy = []
    for port in DEFAULT_PORTS:
        with socket.socket() as s:
            s.settimeout(0.5)
            if s.connect_ex(("127.0.0.1", port)) == 0:
                busy.append(port)
    return busy


def _move_ports(node: object, mapping: dict[int, int], avoid: set[int]) -> None:
    """Give every port chia's config names a free one, the same new port for the same old one."""
    if isinstance(node, dict):
        for key, value in node.items():
            if key in ("port", "rpc_port", "daemon_port") and isinstance(value, int) and value > 0:
                if value not in mapping:
                    port = free_port()
                    while port in avoid or port in DEFAULT_PORTS or port in mapping.values():
                        port = free_port()
                    mapping[value] = port
                node[key] = mapping[value]
            else:
                _move_ports(value, mapping, avoid)
    elif isinstance(node, list):
        for item in node:
            _move_ports(item, mapping, avoid)


class ChiaEnv:
    def __init__(self, base: Path, venv: Path, avoid_ports: set[int] = frozenset()) -> None:
        self.avoid_ports = set(avoid_ports)     # ports already promised to someone else (the teafarm server)
        self.base = base
        self.venv = venv
        self.root = base / "root"
        self.keys = base / "keys"
        self.plots = base / "plots"
        self.env = {**os.environ, "CHIA_ROOT": str(self.root), "CHIA_KEYS_ROOT": str(self.keys),
                    "PATH": f"{venv / 'bin'}:{os.environ.get('PATH', '')}"}
        self.ports: dict[int, int] = {}
        self.log = base / "chia-commands.log"

    @property
    def python(self) -> str:
        return str(self.venv / "bin" / "python")

    def chia(self, *args: str, input: str | None = None, timeout: float = 120) -> str:
        result = subprocess.run([str(self.venv / "bin" / "chia"), *args], env=self.env, input=input, text=True,
                                capture_output=True, timeout=timeout)
        with open(self.log, "a") as f:
            f.write(f"{time.strftime('%H:%M:%S')} $ chia {' '.join(args)}\n{result.stdout}{result.stderr}\n")
        if result.returncode != 0:
            raise RuntimeError(f"chia {' '.join(args)} failed: {result.stderr[-2000:] or result.stdout[-2000:]}")
        return result.stdout

    @property
    def config_file(self) -> Path:
        return self.root / "config" / "config.yaml"

    def config(self) -> dict:
        return yaml.safe_load(self.config_file.read_text())

    def setup(self, plot_dirs: dict[str, int]) -> None:
        """init, keys, testnet11, private ports, INFO logs, quick plot refresh; k18 plots per folder.

        Few chia commands (each costs seconds of imports on a busy 2-core box): the plot folders go
        straight into config.yaml and all plots are made by one process.
        """
        self.chia("init")
        self.chia("keys", "generate", "-l", "teafarm-test")
        self.chia("configure", "--testnet", "true", "--log-level", "INFO")
        folders = {name: self.plots / name for name in plot_dirs}
        config = self.config()
        _move_ports(config, self.ports, self.avoid_ports)
        config["harvester"]["plots_refresh_parameter"]["interval_seconds"] = 3
        config["harvester"]["plot_directories"] = [str(f) for f in folders.values()]
        self.config_file.write_text(yaml.safe_dump(config, sort_keys=False))
        made = self.plots / "new"
        made.mkdir(parents=True)
        subprocess.run([self.python, str(MAKE_SMALL_PLOTS), "18", str(sum(plot_dirs.values())), str(made)],
                       env=self.env, check=True, capture_output=True, timeout=300)
        plots = sorted(made.glob("*.plot"))
        for name, count in plot_dirs.items():
            folders[name].mkdir()
            for plot in plots[:count]:
                plot.rename(folders[name] / plot.name)
            plots = plots[count:]
        made.rmdir()

    def port(self, default: int) -> int:
        return self.ports[default]

    @property
    def full_node_peer_port(self) -> int:
        return int(self.config()["farmer"]["full_node_peers"][0]["port"])

    def start(self, *services: str) -> None:
        self.chia("start", *services, timeout=180)

    def stop(self, *services: str) -> None:
        self.chia("stop", *services, timeout=180)

    def teardown(self) -> None:
        try:
            self.chia("stop", "-d", "all", timeout=60)
        except (RuntimeError, subprocess.TimeoutExpired):
            pass
        self.kill_leftovers()

    def service_pid(self, service: str) -> int:
        """The process of one chia service (harvester, farmer ...): chia's daemon writes its pid to
        <root>/run/chia_<service>.pid (the services do not carry CHIA_ROOT in their environment)."""
        return int((self.root / "run" / f"chia_{service}.pid").read_text().split()[0])

    def kill_leftovers(self) -> None:
        """Processes still running with our private CHIA_ROOT, by pid (never by name)."""
        for proc in Path("/proc").iterdir():
            if not proc.name.isdigit():
                continue
            try:
                environ = (proc / "environ").read_bytes()
            except OSError:
                continue
            if f"CHIA_ROOT={self.root}".encode() in environ.split(b"\0"):
                try:
                    os.kill(int(proc.name), signal.SIGKILL)
                except OSError:
                    pass
