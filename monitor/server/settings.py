"""Settings of the monitoring server (config section `server`), embedded in `teafarm bot`.
Each field's constraints sit beside it (teafarm/typed_config.py runs them: `teafarm config check`
and every start)."""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from teafarm.typed_config import count, file_path, host_name, host_port, seconds, setting

GRPC_MAX_MB = 2047    # gRPC's message limits are a signed 32-bit number of bytes


def _some_names(names: list[str]) -> str | None:
    return None if names else "needs at least one name (the certificate is made for these)"


def _topic_or_default(key: str) -> str | None:
    from protocol.registry import BY_NAME   # here: the protocol modules are not needed to parse the rest

    if key == "default" or key in BY_NAME:
        return None
    return f"not a topic (topics: default, {', '.join(BY_NAME)})"


@dataclass
class ServerSettings:
    listen: str = setting("127.0.0.1:8443", check=host_port)   # host:port; 0.0.0.0:8443 to accept the farm's other machines
    # enrolment by token (HTTPS, server-only TLS; the gRPC port keeps requiring client certificates):
    # "auto" = port 8442 on the host of `listen` when that accepts other machines (not 127.0.0.1 /
    # localhost / ::1), "" = off, or host:port
    enrol_listen: str = setting("auto", check=lambda text: None if text in ("", "auto") else host_port(text))
    database: Path = setting(Path(""), check=file_path)        # "" -> <data_dir>/teafarm.db
    certificate: Path = setting(Path(""), check=file_path)     # "" -> <data_dir>/certs/server.crt
    key: Path = setting(Path(""), check=file_path)             # "" -> <data_dir>/certs/server.key
    ca: Path = setting(Path(""), check=file_path)              # "" -> <data_dir>/certs/ca.crt
    # subjectAltNames of the server certificate
    names: list[str] = setting(factory=lambda: ["localhost", "127.0.0.1"], check=_some_names, each=host_name)
    # the client splits big syncs into ~1 MiB chunks: below gRPC's own 4 MiB a sync would not fit
    max_message_mb: int = setting(16, check=count(4, GRPC_MAX_MB))
    # chunks of batches not complete yet (a big sync comes in ~1 MiB chunks), held per connection and
    # over all connections; a batch beyond them is refused and its client sends it again later
    open_batch_mb: int = setting(64, check=count(1, 1024 * 1024))
    open_batches_total_mb: int = setting(256, check=count(1, 1024 * 1024))
    open_batch_timeout: float = setting(60.0, check=seconds())   # an unfinished batch without a new chunk is dropped
    # days of events kept per topic; "default" applies to topics not listed (0 or less would
    # delete every event at the next prune)
    retention_days: dict[str, int] = setting(
        factory=lambda: {"default": 30, "cpu": 7, "ram": 7, "process": 7, "farming": 90, "signage": 90},
        keys=_topic_or_default, each=count(1, 36500))
