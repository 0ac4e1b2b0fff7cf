"""The daily rollup in bot.db: the farm's plot count and size, one row per day (the bot's local
date), for the 30-day chart and the daily summary's "in 24 h" changes.

The bot updates today's row every hour (the "daily-rollup" job of bot.app): the last update of a
day is its figure. Days before the bot kept rows are rebuilt once from the store's harvester events
(the farmer's view: each event carries a harvester's whole count), as far back as they reach.
"""
from __future__ import annotations

import sqlite3
import time
from dataclasses import dataclass

from bot.stats.harvesters import harvesters
from monitor.sqlite_tx import transaction
from monitor.store.reader import StoreReader

SCHEMA = """CREATE TABLE IF NOT EXISTS daily (
    day TEXT PRIMARY KEY,                 -- the bot's local date, YYYY-MM-DD
    at REAL NOT NULL,                     -- when the figures were taken (the end of the day for rebuilt ones)
    plots INTEGER NOT NULL, raw_bytes INTEGER NOT NULL, effective_bytes INTEGER NOT NULL)"""
BACKFILL_DAYS = 90


@dataclass
class Day:
    day: str
    at: float
    plots: int
    raw_bytes: int
    effective_bytes: int


def day_of(at: float) -> str:
    return time.strftime("%Y-%m-%d", time.localtime(at))


def farm_size(reader: StoreReader) -> tuple[int, int, int]:
    """(plots, raw bytes, effective bytes) as the farmers see them now."""
    views = [h for h in harvesters(reader) if h.farmer_machine]
    return sum(h.plots for h in views), sum(h.size for h in views), sum(h.effective_size for h in views)


def record(reader: StoreReader, botdb: sqlite3.Connection, now: float) -> tuple[int, int, int]:
    """Today's row from the farm as it is now (returned: plots, raw and effective bytes); the days
    before the first row rebuilt once."""
    plots, raw, effective = farm_size(reader)
    rebuilt = [] if _has_rows(botdb) else backfill(reader, now)
    with transaction(botdb):
        botdb.executemany("INSERT OR IGNORE INTO daily (day, at, plots, raw_bytes, effective_bytes) VALUES (?, ?, ?, ?, ?)",
                          [(d.day, d.at, d.plots, d.raw_bytes, d.effective_bytes) for d in rebuilt])
        botdb.execute("INSERT OR REPLACE INTO daily (day, at, plots, raw_bytes, effective_bytes) VALUES (?, ?, ?, ?, ?)",
                      (day_of(now), now, plots, raw, effective))
    return plots, raw, effective


def backfill(reader: StoreReader, now: float) -> list[Day]:
    """Each past day's figures at its end, replaying the harvester events (oldest first) kept in the
    store, from the first day they cover to yesterday."""
    today = _start_of_day(now)
    counts: dict[tuple[str, str], tuple[int, int, int]] = {}
    days: list[Day] = []
    day_end = None
    for row in reader.query("SELECT machine, id, event_type, time, plots, total_plot_size, total_effective_size "
                            "FROM harvester_events WHERE time >= ? ORDER BY seq", (today - BACKFILL_DAYS * 86400,)):
        if row["time"] >= today:
            break
        if day_end is None:
            day_end = _start_of_day(row["time"]) + 86400
        while row["time"] >= day_end:
            days.append(_day(day_end, counts))
            day_end = _start_of_day(day_end + 3600) + 86400      # DST-safe: the next local midnight
        key = (row["machine"], row["id"])
        if row["event_type"] == "DELETE":
            counts.pop(key, None)
        else:
            counts[key] = (row["plots"] or 0, int(row["total_plot_size"] or 0), int(row["total_effective_size"] or 0))
    while day_end is not None and day_end <= today:
        days.append(_day(day_end, counts))
        day_end = _start_of_day(day_end + 3600) + 86400
    return days


def days(botdb: sqlite3.Connection, since: float) -> list[Day]:
    """The rows of the days from `since` on, oldest first."""
    return [Day(*r) for r in botdb.execute(
        "SELECT day, at, plots, raw_bytes, effective_bytes FROM daily WHERE day >= ? ORDER BY day", (day_of(since),))]


def around(botdb: sqlite3.Connection, at: float, slack: float = 3 * 3600) -> Day | None:
    """The figures taken last before `at` (+ `slack`: today's row moves every hour), None when the
    newest such row is over a day older than `at`."""
    row = botdb.execute("SELECT day, at, plots, raw_bytes, effective_bytes FROM daily WHERE at <= ? ORDER BY at DESC LIMIT 1",
                        (at + slack,)).fetchone()
    return Day(*row) if row is not None and row["at"] >= at - 86400 else None


def _has_rows(botdb: sqlite3.Connection) -> bool:
    return botdb.execute("SELECT 1 FROM daily LIMIT 1").fetchone() is not None


def _day(end: float, counts: dict[tuple[str, str], tuple[int, int, int]]) -> Day:
    values = list(counts.values())
    return Day(day_of(end - 1), end - 1, sum(v[0] for v in values), sum(v[1] for v in values), sum(v[2] for v in values))


def _start_of_day(at: float) -> float:
    local = time.localtime(at)
    return time.mktime((local.tm_year, local.tm_mon, local.tm_mday, 0, 0, 0, 0, 0, -1))
