"""Numbers as people read them in a chat line (sizes and durations: teafarm.units, shared with the copier)."""
from __future__ import annotations

import time

from bot.commands.base import CommandError
from teafarm.units import duration

_DURATION_UNITS = {"s": 1, "m": 60, "min": 60, "h": 3600, "d": 86400, "w": 604800}


def ago(timestamp: float | None, now: float | None = None) -> str:
    if not timestamp:
        return "never"
    return f"{duration((now or time.time()) - timestamp)} ago"


def clock(timestamp: float | None) -> str:
    if not timestamp:
        return "never"
    return time.strftime("%Y-%m-%d %H:%M", time.localtime(timestamp))


def percent(part: float, whole: float) -> str:
    return f"{100.0 * part / whole:.1f} %" if whole else "-"


def xch(mojo: float | None) -> str:
    return f"{(mojo or 0) / 1e12:.6g} XCH"


def lookup(seconds: float | None) -> str:
    if seconds is None:
        return "-"
    if seconds == float("inf"):
        return "> 28 s"
    return f"<= {seconds:g} s"


def parse_duration(text: str) -> float:
    """'30m', '2h', '1d', '90s', '1w' -> seconds; a CommandError naming the problem otherwise."""
    text = text.strip().lower()
    for unit in sorted(_DURATION_UNITS, key=len, reverse=True):
        if text.endswith(unit):
            number = text[: -len(unit)].strip()
            try:
                value = float(number)
            except ValueError:
                break
            if value <= 0:
                break
            return value * _DURATION_UNITS[unit]
    raise CommandError(f"'{text}' is not a duration: use a number and s, m, h, d or w (e.g. 30m, 2h, 1d)")
