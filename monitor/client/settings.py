"""Settings of `teafarm client` (config section `client`). Each field's constraints sit beside it
(teafarm/typed_config.py runs them: `teafarm config check` and every start)."""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from teafarm.typed_config import file_path, host_port, seconds, setting


def _machine_name(name: str) -> str | None:
    from monitor.certs import VALID_MACHINE_NAME   # here: cryptography is not needed to parse the rest

    if VALID_MACHINE_NAME.fullmatch(name):
        return None
    return f"{name!r} is not a machine name: use letters, digits, '.', '_' or '-' (at most 63)"


def _topic(key: str) -> str | None:
    from protocol.registry import BY_NAME

    return None if key in BY_NAME else f"not a topic (topics: {', '.join(BY_NAME)})"


@dataclass
class ClientSettings:
    server: str = setting("127.0.0.1:8443", check=host_port)   # host:port of the teafarm server / bot
    # host:port of the server's enrolment listener ("" -> the host of `server`, port 8442); used
    # only by `teafarm client --enrol-file` before this machine has its certificate
    enrol_server: str = setting("", check=lambda text: host_port(text) if text else None)
    # "" -> this machine's hostname (must match its certificate); checked as filled in
    machine_name: str = setting("", check=lambda name: _machine_name(name) if name else None)
    interval: float = setting(5.0, check=seconds())            # seconds between snapshots
    heartbeat: float = setting(30.0, check=seconds())          # seconds of quiet before a heartbeat is sent
    # minimum seconds between two sends of a topic; a throttled change is sent later, never lost
    throttle: dict[str, float] = setting(factory=lambda: {"cpu": 60.0, "ram": 60.0, "disk": 60.0, "process": 60.0, "copy_job": 15.0},
                                         keys=_topic, each=seconds(zero=True))
    outbox: Path = setting(Path(""), check=file_path)          # "" -> <data_dir>/client-outbox.db
    certificate: Path = setting(Path(""), check=file_path)     # "" -> <data_dir>/certs/<machine>.crt
    key: Path = setting(Path(""), check=file_path)             # "" -> <data_dir>/certs/<machine>.key
    ca: Path = setting(Path(""), check=file_path)              # "" -> <data_dir>/certs/ca.crt
    extra_mounts: list[str] = setting(factory=list)            # mountpoints to report even if they look virtual
    smart_interval: float = setting(600.0, check=seconds(zero=True))  # seconds between SMART reads with smartctl (0 = off)
