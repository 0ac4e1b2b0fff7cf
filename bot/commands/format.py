"""Numbers as people read them in a chat line (sizes and durations: teafarm.units, shared with the copier)."""
from __future__ import annotations

import re
import time

from bot.commands.base import CommandError
from teafarm.units import duration

WINDOWS = {"1h": 3600.0, "24h": 86400.0, "7d": 7 * 86400.0}
MAX_WINDOW = 90 * 86400.0      # farming buckets are kept 90 days by default


def parse_window(text: str) -> tuple[str, float]:
    """A window of farming figures: '7d' -> ('7d', 604800.0); '' is 24h."""
    text = text.strip().lower() or "24h"
    if text in WINDOWS:
        return text, WINDOWS[text]
    match = re.fullmatch(r"(\d+)\s*([hd])", text)
    if match and int(match.group(1)) > 0:
        seconds = int(match.group(1)) * (3600 if match.group(2) == "h" else 86400)
        if seconds <= MAX_WINDOW:
            return f"{match.group(1)}{match.group(2)}", float(seconds)
    raise CommandError(f"'{text}' is not a window: use 1h, 24h or 7d (or a number of hours/days up to 90d)")


_DURATION_UNITS = {"s": 1, "m": 60, "min": 60, "h": 3600, "d": 86400, "w": 604800}


def ago(timestamp: float | None, now: float | None = None) -> str:
    if not timestamp:
        return "never"
    return f"{duration((now or time.time()) - timestamp)} ago"


def clock(timestamp: float | None) -> str:
    if not timestamp:
        return "never"
    return time.strftime("%Y-%m-%d %H:%M", time.localtime(timestamp))


def count(n: int, noun: str, plural: str | None = None) -> str:
    """"1 row", "2 rows", "1,000 harvesters": the noun agrees with the number."""
    return f"{n:,} {noun if n == 1 else plural or noun + 's'}"


def percent(part: float, whole: float) -> str:
    return f"{100.0 * part / whole:.1f} %" if whole else "-"


def xch(mojo: float | None) -> str:
    value = (mojo or 0) / 1e12
    # six significant digits, but never "9.22337e+06 XCH": whole coins from a million on
    return f"{value:.6g} XCH" if value < 999_999.5 else f"{value:,.0f} XCH"


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
