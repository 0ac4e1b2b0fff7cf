"""Farming statistics over a time window, per harvester: signage points expected, answered,
missed and late, lookup times and proofs. An answer after chia's 28 s window lost its proof: what
the owner is shown as missed (`lost`) counts it, with the signage points that had no answer.

A window is cut by each bucket's own (server-corrected) time, at 5-minute boundaries: its totals
are the running totals at its end minus those just before its start (bot.stats.rollup), two
index lookups per harvester whatever the window's length.
"""
from __future__ import annotations

import math
import sqlite3
from dataclasses import dataclass, field

from bot.stats.rollup import COUNTS, LOOKUP_EDGES, SLOT, behind, catch_up, percentile_from_hist, totals_upto
from monitor.store.reader import StoreReader


@dataclass
class FarmingTotals:
    buckets: int = 0
    expected: int = 0
    answered: int = 0
    missed: int = 0
    late5: int = 0
    late28: int = 0
    proofs: int = 0
    hist: list[int] = field(default_factory=lambda: [0] * (len(LOOKUP_EDGES) + 1))

    def add(self, other: "FarmingTotals") -> None:
        self.buckets += other.buckets
        self.expected += other.expected
        self.answered += other.answered
        self.missed += other.missed
        self.late5 += other.late5
        self.late28 += other.late28
        self.proofs += other.proofs
        self.hist = [a + b for a, b in zip(self.hist, other.hist)]

    @property
    def lost(self) -> int:
        """Missed as chia means it: no answer, or one after the 28 s window (late28)."""
        return self.missed + self.late28

    @property
    def lookup_p95(self) -> float | None:
        """p95 of the per-minute p95 lookup times, as the upper edge of its histogram bin."""
        return percentile_from_hist(self.hist)


Key = tuple[str, str]   # (machine, harvester node id)


def window_totals(reader: StoreReader, botdb: sqlite3.Connection, start: float, end: float) -> dict[Key, FarmingTotals]:
    """Totals per harvester of the buckets whose 5-minute slot lies in [start, end].

    A command folds at most one chunk of new buckets itself (normally everything since the bot's
    last fold, seconds ago); a first start on a farm with months of buckets leaves the bulk to
    the bot's background fold, and `incomplete_note` says so."""
    catch_up(reader, botdb, chunks=1)
    first = math.floor(start / SLOT + 0.5)          # the slot nearest the start
    last = math.floor(end / SLOT)                   # the slot holding `end` (the current one, partly filled)
    at_end = totals_upto(botdb, last)
    before = totals_upto(botdb, first - 1)
    found = {}
    for key, row in at_end.items():
        values = [row[c] - (before[key][c] if key in before else 0) for c in COUNTS]
        if values[0] > 0:
            found[key] = FarmingTotals(*values[:7], hist=values[7:])
    return found


def farm_total(per_harvester: dict[Key, FarmingTotals]) -> FarmingTotals:
    total = FarmingTotals()
    for value in per_harvester.values():
        total.add(value)
    return total


def skipped_signage_points(reader: StoreReader, start: float, end: float) -> tuple[int, int]:
    """(seen, skipped) farm-level signage points in the window, over every farmer machine."""
    row = reader.query("SELECT total(seen), total(skipped) FROM signage_events WHERE time >= ? AND time < ?", (start, end))[0]
    return int(row[0]), int(row[1])


def incomplete_note(reader: StoreReader, botdb: sqlite3.Connection) -> list[str]:
    """One line when the farming totals are still being built, else nothing."""
    if behind(reader, botdb):
        return ["(farming statistics are still being indexed after the first start: numbers may be low for a few minutes)"]
    return []
