"""Settings of the bot's HTTP endpoints: Prometheus `/metrics` (config section `bot.metrics`) and
`/healthz` (section `bot.health`). Their constraints sit beside them (teafarm/typed_config.py runs
them: `teafarm config check` and every start)."""
from __future__ import annotations

import ipaddress
from dataclasses import dataclass

from teafarm.typed_config import host_port, setting

DEFAULT_HOST = "127.0.0.1"   # the figures include wallet amounts and machine names: local unless asked


def _listen(text: str) -> str | None:
    if text == "" or (text.isascii() and text.isdigit() and 1 <= int(text) <= 65535):
        return None
    if text.isascii() and text.isdigit():
        return f"the port must be a number from 1 to 65535, got {text!r}"
    if ":" not in text:
        return f'expected "" (off), a port (9915) or host:port (0.0.0.0:9915), got {text!r}'
    return host_port(text)


@dataclass
class MetricsSettings:
    # "" = off; a port (9915) listens on 127.0.0.1; host:port (0.0.0.0:9915) wherever asked
    listen: str = setting("", check=_listen)

    def address(self) -> tuple[str, int] | None:
        return listen_address(self.listen)


DEFAULT_HEALTH = "127.0.0.1:9916"   # Docker's HEALTHCHECK asks here (Dockerfile)


def _loopback(text: str) -> str | None:
    """"" (off), a port, or a host:port on this machine only: the answer says how the bot is doing,
    so nobody else needs it, and nothing is exposed by default."""
    problem = _listen(text)
    if problem or not text or ":" not in text:
        return problem
    host = text.rpartition(":")[0].strip("[]")
    try:
        local = host == "localhost" or ipaddress.ip_address(host).is_loopback
    except ValueError:
        local = False
    return None if local else f"must listen on this machine only (127.0.0.1, ::1 or localhost), got {text!r}"


@dataclass
class HealthSettings:
    # "" = off; a port listens on 127.0.0.1; host:port on a loopback address only
    listen: str = setting(DEFAULT_HEALTH, check=_loopback)

    def address(self) -> tuple[str, int] | None:
        return listen_address(self.listen)


def listen_address(listen: str) -> tuple[str, int] | None:
    """(host, port) to serve on, or None when off."""
    if not listen:
        return None
    host, _, port = listen.rpartition(":")
    return (host.strip("[]") or DEFAULT_HOST), int(port)
