"""Farming statistics over a time window, per harvester: signage points expected, answered,
missed and late, lookup times and proofs.

A window is cut by each bucket's own (server-corrected) time. Whole hours come from the hourly
rollup; the ragged ends come from the raw minute buckets, so `/missed 1h` is exact and `/missed 7d`
reads 7 x 24 rows per harvester rather than 10,080.
"""
from __future__ import annotations

import math
import sqlite3
from dataclasses import dataclass, field

from bot.stats.rollup import COUNTS, LOOKUP_EDGES, SUMS, catch_up, hist_of, histogram_sql, percentile_from_hist
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
    lookup_max: float = 0.0
    hist: list[int] = field(default_factory=lambda: [0] * (len(LOOKUP_EDGES) + 1))

    def add(self, other: "FarmingTotals") -> None:
        self.buckets += other.buckets
        self.expected += other.expected
        self.answered += other.answered
        self.missed += other.missed
        self.late5 += other.late5
        self.late28 += other.late28
        self.proofs += other.proofs
        self.lookup_max = max(self.lookup_max, other.lookup_max)
        self.hist = [a + b for a, b in zip(self.hist, other.hist)]

    def percent(self, count: int) -> float | None:
        return 100.0 * count / self.expected if self.expected else None

    @property
    def lookup_p95(self) -> float | None:
        """p95 of the per-minute p95 lookup times, as the upper edge of its histogram bin."""
        return percentile_from_hist(self.hist)


Key = tuple[str, str]   # (machine, harvester node id)


def window_totals(reader: StoreReader, botdb: sqlite3.Connection, start: float, end: float) -> dict[Key, FarmingTotals]:
    catch_up(reader, botdb)
    first_full = math.ceil(start / 3600)
    end_full = math.floor(end / 3600)           # hours [first_full, end_full) lie wholly inside the window
    totals: dict[Key, FarmingTotals] = {}
    if first_full >= end_full:
        _merge(totals, _raw(reader, start, end))
        return totals
    _merge(totals, _raw(reader, start, first_full * 3600.0))
    _merge(totals, _hourly(botdb, first_full, end_full))
    _merge(totals, _raw(reader, end_full * 3600.0, end))
    return totals


def farm_total(per_harvester: dict[Key, FarmingTotals]) -> FarmingTotals:
    total = FarmingTotals()
    for value in per_harvester.values():
        total.add(value)
    return total


def skipped_signage_points(reader: StoreReader, start: float, end: float) -> tuple[int, int]:
    """(seen, skipped) farm-level signage points in the window, over every farmer machine."""
    row = reader.query("SELECT total(seen), total(skipped) FROM signage_events WHERE time >= ? AND time < ?", (start, end))[0]
    return int(row[0]), int(row[1])


def _raw(reader: StoreReader, start: float, end: float) -> dict[Key, FarmingTotals]:
    rows = reader.query(
        f"SELECT machine, harvester_node_id AS harvester, {SUMS}, {histogram_sql()} FROM farming_events "
        f"WHERE time >= ? AND time < ? GROUP BY 1, 2", (start, end))
    return {(r["machine"], r["harvester"]): _totals(r, hist_of(r)) for r in rows}


def _hourly(botdb: sqlite3.Connection, first: int, end: int) -> dict[Key, FarmingTotals]:
    sums = ", ".join(f"total({c}) AS {c}" for c in COUNTS)
    rows = botdb.execute(f"SELECT machine, harvester, {sums}, max(lookup_max) AS lookup_max FROM farming_hourly "
                         f"WHERE hour >= ? AND hour < ? GROUP BY machine, harvester", (first, end))
    return {(r["machine"], r["harvester"]): _totals(r, hist_of(r)) for r in rows}


def _totals(row, hist: list[int]) -> FarmingTotals:
    return FarmingTotals(int(row["buckets"] or 0), int(row["expected"] or 0), int(row["answered"] or 0),
                         int(row["missed"] or 0), int(row["late5"] or 0), int(row["late28"] or 0),
                         int(row["proofs"] or 0), float(row["lookup_max"] or 0.0), list(hist))


def _merge(into: dict[Key, FarmingTotals], more: dict[Key, FarmingTotals]) -> None:
    for key, value in more.items():
        if key in into:
            into[key].add(value)
        else:
            into[key] = value
