"""When a source reported every fact of its kind: the daemon's feed every proof while it is registered,
the wallet every block farmed after its first answer.

debug.log shows the same proofs and blocks. A fact is taken from the log only when no better source
covered the moment it happened (its own time, not the time the line is read): the lines written while
the client was down are read after a restart, and those proofs were heard by no one else.
"""
from __future__ import annotations

Period = tuple[float, float | None]      # (since, until); until None: still covering
KEEP = 8                                 # periods remembered (a restart reads again only the last lines)


class Coverage:
    def __init__(self, periods: list[Period] | None = None) -> None:
        self.periods: list[Period] = list(periods or [])

    def begin(self, t: float) -> None:
        if not self.periods or self.periods[-1][1] is not None:
            self.periods = [*self.periods[-(KEEP - 1):], (t, None)]

    def end(self, t: float) -> None:
        if self.periods and self.periods[-1][1] is None:
            self.periods[-1] = (self.periods[-1][0], max(t, self.periods[-1][0]))

    def covers(self, t: float) -> bool:
        return any(since <= t and (until is None or t <= until) for since, until in self.periods)

    def through(self, t: float) -> list[tuple[float, float]]:
        """The periods cut at `t`: what was covered up to then (what a snapshot taken at `t` stored)."""
        return [(since, t if until is None else min(until, t)) for since, until in self.periods if since <= t]
