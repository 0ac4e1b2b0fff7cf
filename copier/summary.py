"""What a run of the copier did, for the one line `teafarm copy --once` ends with."""
from __future__ import annotations

from collections import Counter


class Tally:
    def __init__(self) -> None:
        self.outcomes: Counter[str] = Counter()

    def count(self, outcome: str) -> None:
        """A move's method ("rename", "already there", a copy method), or "failed", "interrupted"."""
        self.outcomes[outcome] += 1

    def summary(self, left: int) -> str:
        """'3 moved (1 copied, 1 renamed, 1 already there), 1 failed, 2 left at the sources'"""
        moves = {k: v for k, v in self.outcomes.items() if k not in ("failed", "interrupted")}
        copied = sum(v for k, v in moves.items() if k not in ("rename", "already there"))
        counts = [(copied, "copied"), (moves.get("rename", 0), "renamed"), (moves.get("already there", 0), "already there")]
        kinds = [f"{count} {kind}" for count, kind in counts if count]
        moved = sum(moves.values())
        parts = [f"{moved} moved" + (f" ({', '.join(kinds)})" if kinds else "")]
        for outcome in ("failed", "interrupted"):
            if self.outcomes[outcome]:
                parts.append(f"{self.outcomes[outcome]} {outcome}")
        parts.append(f"{left} left at the sources")
        return ", ".join(parts)
