"""Settings of the monitoring server (config section `server`), embedded in `teafarm bot`."""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path


@dataclass
class ServerSettings:
    listen: str = "127.0.0.1:8443"     # host:port; 0.0.0.0:8443 to accept the farm's other machines
    database: Path = Path("")          # "" -> <data_dir>/teafarm.db
    certificate: Path = Path("")       # "" -> <data_dir>/certs/server.crt
    key: Path = Path("")               # "" -> <data_dir>/certs/server.key
    ca: Path = Path("")                # "" -> <data_dir>/certs/ca.crt
    names: list[str] = field(default_factory=lambda: ["localhost", "127.0.0.1"])  # subjectAltNames of the server certificate
    max_message_mb: int = 16
    # days of events kept per topic; "default" applies to topics not listed
    retention_days: dict[str, int] = field(default_factory=lambda: {"default": 30, "cpu": 7, "ram": 7, "process": 7, "farming": 90, "signage": 90})
