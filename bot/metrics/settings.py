"""Settings of the Prometheus endpoint (config section `bot.metrics`). Its constraint sits beside
it (teafarm/typed_config.py runs it: `teafarm config check` and every start)."""
from __future__ import annotations

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
        """(host, port) to serve on, or None when off."""
        if not self.listen:
            return None
        host, _, port = self.listen.rpartition(":")
        return (host.strip("[]") or DEFAULT_HOST), int(port)
