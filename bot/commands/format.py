"""Numbers as people read them in a chat line."""
from __future__ import annotations

import time

from bot.commands.base import CommandError

_UNITS = ("B", "KiB", "MiB", "GiB", "TiB", "PiB", "EiB", "ZiB")
_DURATION_UNITS = {"s": 1, "m": 60, "min": 60, "h": 3600, "d": 86400, "w": 604800}


def size(n: float | None) -> str:
    if not n:
        return "0 B"
    value, unit = float(n), 0
    while value >= 1024 and unit < len(_UNITS) - 1:
        value /= 1024
        unit += 1
    return f"{value:.0f} {_UNITS[unit]}" if unit == 0 else f"{value:.2f} {_UNITS[unit]}"


def duration(seconds: float | None) -> str:
    if seconds is None:
        return "?"
    seconds = max(0, int(seconds))
    if seconds < 90:
        return f"{seconds} s"
    if seconds < 90 * 60:
        return f"{round(seconds / 60)} min"
    if seconds < 48 * 3600:
        hours, rest = divmod(seconds, 3600)
        return f"{hours} h {rest // 60} min" if rest >= 60 else f"{hours} h"
    if seconds < 60 * 86400:
        return f"{seconds / 86400:.1f} days"
    return f"{seconds / (365.25 * 86400):.1f} years" if seconds >= 365 * 86400 else f"{seconds / 86400:.0f} days"


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
