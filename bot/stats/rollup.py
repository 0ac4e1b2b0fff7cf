"""Hourly per-harvester sums of the farming buckets, so a 24 h or 7 d window reads a few
thousand rows instead of millions (a 1,000-harvester farm sends 1.44 M buckets a day).

The rollup follows the farming events by sequence number with its own cursor in bot.db; the
sums and the cursor move in one transaction, so each bucket is counted exactly once even when
the bot and `teafarm ask` catch up at the same time. Rows are keyed by the hour of each event's
own (server-corrected) time, so buckets delivered late from a client's outbox land in their hour.
"""
from __future__ import annotations

import sqlite3

from bot.alerts.botdb import HISTOGRAM_BINS, get_cursor, set_cursor, transaction
from monitor.store.reader import StoreReader

CURSOR = "farming_rollup"
CHUNK = 200_000
# upper edges (seconds) of the lookup-time histogram bins; the last bin is everything above
LOOKUP_EDGES = (0.05, 0.1, 0.25, 0.5, 1.0, 2.0, 3.0, 5.0, 8.0, 15.0, 28.0)
assert len(LOOKUP_EDGES) + 1 == HISTOGRAM_BINS
COUNTS = ("buckets", "expected", "answered", "missed", "late5", "late28", "proofs",
          *(f"h{i}" for i in range(HISTOGRAM_BINS)))

SUMS = ("count(*) AS buckets, total(sp_expected) AS expected, total(sp_answered) AS answered, "
        "total(sp_missed) AS missed, total(sp_late_5s) AS late5, total(sp_late_28s) AS late28, "
        "total(proofs) AS proofs, max(lookup_max) AS lookup_max")


def histogram_sql(column: str = "lookup_p95") -> str:
    """SUM(CASE ...) columns h0..hN counting the minute buckets whose p95 falls in each bin."""
    parts, lower = [], None
    for i, edge in enumerate(LOOKUP_EDGES):
        condition = f"{column} <= {edge}" if lower is None else f"{column} > {lower} AND {column} <= {edge}"
        parts.append(f"total(CASE WHEN {condition} THEN 1 ELSE 0 END) AS h{i}")
        lower = edge
    parts.append(f"total(CASE WHEN {column} > {lower} THEN 1 ELSE 0 END) AS h{len(LOOKUP_EDGES)}")
    return ", ".join(parts)


def hist_of(row) -> list[int]:
    return [int(row[f"h{i}"] or 0) for i in range(len(LOOKUP_EDGES) + 1)]


def percentile_from_hist(hist: list[int], fraction: float = 0.95) -> float | None:
    """Upper edge of the bin holding the given fraction of buckets (inf above the last edge)."""
    total = sum(hist)
    if total == 0:
        return None
    running = 0
    for i, count in enumerate(hist):
        running += count
        if running >= fraction * total:
            return LOOKUP_EDGES[i] if i < len(LOOKUP_EDGES) else float("inf")
    return float("inf")


def catch_up(reader: StoreReader, botdb: sqlite3.Connection) -> int:
    """Fold farming buckets newer than the rollup's cursor into the hourly rows; returns how many."""
    folded = 0
    while True:
        with transaction(botdb):
            cursor = get_cursor(botdb, CURSOR)
            last = reader.query('SELECT max(seq) FROM farming_events WHERE seq > ?', (cursor,))[0][0]
            if last is None:
                return folded
            upto = min(last, _nth_seq(reader, cursor, CHUNK))
            rows = reader.query(
                f"SELECT machine, harvester_node_id AS harvester, CAST(time / 3600 AS INTEGER) AS hour, {SUMS}, "
                f"{histogram_sql()} FROM farming_events WHERE seq > ? AND seq <= ? GROUP BY 1, 2, 3",
                (cursor, upto))
            for row in rows:
                _add(botdb, row)
                folded += row["buckets"]
            set_cursor(botdb, CURSOR, upto)
        if upto >= last:
            return folded


def _nth_seq(reader: StoreReader, after: int, n: int) -> int:
    row = reader.query("SELECT seq FROM farming_events WHERE seq > ? ORDER BY seq LIMIT 1 OFFSET ?", (after, n - 1))
    return row[0][0] if row else 2**62


def _add(botdb: sqlite3.Connection, row) -> None:
    names = ", ".join(COUNTS)
    added = ", ".join(f"{c} = {c} + excluded.{c}" for c in COUNTS)
    botdb.execute(
        f"INSERT INTO farming_hourly (machine, harvester, hour, {names}, lookup_max) "
        f"VALUES (?, ?, ?, {', '.join('?' * len(COUNTS))}, ?) "
        f"ON CONFLICT (hour, machine, harvester) DO UPDATE SET {added}, lookup_max = max(lookup_max, excluded.lookup_max)",
        (row["machine"], row["harvester"], row["hour"], *(int(row[c] or 0) for c in COUNTS), row["lookup_max"] or 0.0))


def prune(botdb: sqlite3.Connection, before: float) -> None:
    with transaction(botdb):
        botdb.execute("DELETE FROM farming_hourly WHERE hour < ?", (int(before // 3600),))
