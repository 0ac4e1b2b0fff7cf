"""Settings of `teafarm client` (config section `client`)."""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path


@dataclass
class ClientSettings:
    server: str = "127.0.0.1:8443"     # host:port of the teafarm server / bot
    machine_name: str = ""             # "" -> this machine's hostname (must match its certificate)
    interval: float = 5.0              # seconds between snapshots
    heartbeat: float = 30.0            # seconds of quiet before a heartbeat is sent
    # minimum seconds between two sends of a topic; a throttled change is sent later, never lost
    throttle: dict[str, float] = field(default_factory=lambda: {"cpu": 60.0, "ram": 60.0, "disk": 60.0, "process": 60.0, "copy_job": 15.0})
    outbox: Path = Path("")            # "" -> <data_dir>/client-outbox.db
    certificate: Path = Path("")       # "" -> <data_dir>/certs/<machine>.crt
    key: Path = Path("")               # "" -> <data_dir>/certs/<machine>.key
    ca: Path = Path("")                # "" -> <data_dir>/certs/ca.crt
    extra_mounts: list[str] = field(default_factory=list)  # mountpoints to report even if they look virtual
