"""Quiet hours: non-critical alerts wait (they are never dropped) until the quiet window ends."""
from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass

from teafarm.typed_config import ConfigError

_SPEC = re.compile(r"^\s*(\d{1,2}):(\d{2})\s*-\s*(\d{1,2}):(\d{2})\s*$")


@dataclass(frozen=True)
class QuietHours:
    start: dt.time | None = None       # None: no quiet hours
    end: dt.time | None = None

    @classmethod
    def parse(cls, spec: str) -> "QuietHours":
        if not spec.strip():
            return cls()
        match = _SPEC.match(spec)
        if not match:
            raise ConfigError(f"bot.alerts.quiet_hours: expected HH:MM-HH:MM (e.g. 23:00-07:00), got {spec!r}")
        h1, m1, h2, m2 = map(int, match.groups())
        if h1 > 23 or h2 > 23 or m1 > 59 or m2 > 59 or (h1, m1) == (h2, m2):
            raise ConfigError(f"bot.alerts.quiet_hours: {spec!r} is not a window of the day")
        return cls(dt.time(h1, m1), dt.time(h2, m2))

    def release_time(self, now: float) -> float:
        """`now` outside the quiet window, else the (local) time the window ends."""
        if self.start is None:
            return now
        local = dt.datetime.fromtimestamp(now)
        today_start = local.replace(hour=self.start.hour, minute=self.start.minute, second=0, microsecond=0)
        today_end = local.replace(hour=self.end.hour, minute=self.end.minute, second=0, microsecond=0)
        if self.start < self.end:                      # e.g. 01:00-06:00
            inside = today_start <= local < today_end
            end = today_end
        else:                                          # e.g. 23:00-07:00, across midnight
            inside = local >= today_start or local < today_end
            end = today_end if local < today_end else today_end + dt.timedelta(days=1)
        return end.timestamp() if inside else now
