"""Running totals of the farming buckets per harvester, at 5-minute steps, so any window (1 h,
24 h, 7 d, 90 d) costs two index lookups per harvester instead of a scan of millions of minute
buckets (a 1,000-harvester farm sends 1.44 M a day).

Row (harvester, slot) holds the totals of every bucket of that harvester up to and including that
5-minute slot; a window is the row at its end minus the row just before its start. Slots come from
each bucket's own (server-corrected) time, so buckets delivered late from a client's outbox land
in their slot (the rows after it are raised too). The totals follow the farming events by
sequence number with their own cursor in bot.db, and move with the cursor in one transaction, so
each bucket counts exactly once even when the bot and `teafarm ask` catch up at the same time.
"""
from __future__ import annotations

import sqlite3

from bot.alerts.botdb import HISTOGRAM_BINS, get_cursor, set_cursor
from monitor.sqlite_tx import transaction
from monitor.store.reader import StoreReader

CURSOR = "farming_rollup"
SLOT = 300                   # seconds per step: windows are cut at 5-minute boundaries
CHUNK = 50_000               # farming events folded per transaction (keeps bot.db's write lock short)
FINE_DAYS = 8                # 5-minute rows kept this long, then the last row of each hour
KEEP_DAYS = 91               # /missed accepts windows up to 90 days
# upper edges (seconds) of the lookup-time histogram bins; the last bin is everything above
LOOKUP_EDGES = (0.05, 0.1, 0.25, 0.5, 1.0, 2.0, 3.0, 5.0, 8.0, 15.0, 28.0)
assert len(LOOKUP_EDGES) + 1 == HISTOGRAM_BINS
COUNTS = ("buckets", "expected", "answered", "missed", "late5", "late28", "proofs",
          *(f"h{i}" for i in range(HISTOGRAM_BINS)))


def _bucket_sums() -> str:
    sums = ("count(*) AS buckets, total(sp_expected) AS expected, total(sp_answered) AS answered, "
            "total(sp_missed) AS missed, total(sp_late_5s) AS late5, total(sp_late_28s) AS late28, total(proofs) AS proofs")
    bins, lower = [], None
    for i, edge in enumerate(LOOKUP_EDGES):
        condition = f"lookup_p95 <= {edge}" if lower is None else f"lookup_p95 > {lower} AND lookup_p95 <= {edge}"
        bins.append(f"total(CASE WHEN {condition} THEN 1 ELSE 0 END) AS h{i}")
        lower = edge
    bins.append(f"total(CASE WHEN lookup_p95 > {lower} THEN 1 ELSE 0 END) AS h{len(LOOKUP_EDGES)}")
    return ", ".join([sums, *bins])


BUCKET_SUMS = _bucket_sums()


def percentile_from_hist(hist: list[int], fraction: float = 0.95) -> float | None:
    """Upper edge of the bin holding the given fraction of minutes (inf above the last edge)."""
    total = sum(hist)
    if total == 0:
        return None
    running = 0
    for i, count in enumerate(hist):
        running += count
        if running >= fraction * total:
            return LOOKUP_EDGES[i] if i < len(LOOKUP_EDGES) else float("inf")
    return float("inf")


def catch_up(reader: StoreReader, botdb: sqlite3.Connection, chunks: int | None = None) -> int:
    """Fold farming buckets newer than the cursor into the running totals (at most `chunks`
    transactions of CHUNK events; None: all); returns how many."""
    folded = 0
    while chunks is None or chunks > 0:
        if chunks is not None:
            chunks -= 1
        with transaction(botdb):
            cursor = get_cursor(botdb, CURSOR)
            last = reader.query("SELECT max(seq) FROM farming_events WHERE seq > ?", (cursor,))[0][0]
            if last is None:
                return folded
            upto = min(last, _nth_seq(reader, cursor, CHUNK))
            rows = reader.query(
                f"SELECT machine, harvester_node_id AS harvester, CAST(time / {SLOT} AS INTEGER) AS slot, {BUCKET_SUMS} "
                f"FROM farming_events WHERE seq > ? AND seq <= ? GROUP BY 1, 2, 3 ORDER BY 3", (cursor, upto))
            folded += _fold(botdb, rows)
            set_cursor(botdb, CURSOR, upto)
        if upto >= last:
            return folded
    return folded


def behind(reader: StoreReader, botdb: sqlite3.Connection) -> bool:
    """Are there farming buckets the running totals do not include yet?"""
    return bool(reader.query("SELECT 1 FROM farming_events WHERE seq > ? LIMIT 1", (get_cursor(botdb, CURSOR),)))


# each harvester's latest row at or before a slot; materialised first: joined directly, sqlite would
# run the subquery for every row of the table
_LATEST = ("WITH latest AS MATERIALIZED (SELECT k.machine, k.harvester, (SELECT max(slot) FROM farming_cum "
           "WHERE machine = k.machine AND harvester = k.harvester AND slot <= ?) AS slot FROM farming_keys k) ")
_JOIN = "JOIN farming_cum c ON c.machine = latest.machine AND c.harvester = latest.harvester AND c.slot = latest.slot"


def totals_upto(botdb: sqlite3.Connection, slot: int) -> dict[tuple[str, str], sqlite3.Row]:
    """Each harvester's running totals at the end of `slot` (its latest row at or before it)."""
    return {(r["machine"], r["harvester"]): r for r in botdb.execute(f"{_LATEST} SELECT c.* FROM latest {_JOIN}", (slot,))}


def node_totals_upto(botdb: sqlite3.Connection, slot: int, columns: tuple[str, ...]) -> dict[str, tuple[int, ...]]:
    """The same per harvester node id (summed over the farmers that see it), only `columns`: what a
    chart needs at each of its steps, without building a row of every column per harvester."""
    if not set(columns) <= set(COUNTS):
        raise ValueError(f"not a farming total: {sorted(set(columns) - set(COUNTS))}")
    sums = ", ".join(f"sum(c.{c})" for c in columns)
    return {r[0]: r[1:] for r in botdb.execute(f"{_LATEST} SELECT c.harvester, {sums} FROM latest {_JOIN} GROUP BY 1", (slot,))}


def prune(botdb: sqlite3.Connection, now: float) -> None:
    """5-minute rows older than FINE_DAYS thin out to the last row of each hour; rows older than
    KEEP_DAYS go, but for the newest of them: it is the baseline a 90-day window subtracts."""
    later_in_same = ("EXISTS (SELECT 1 FROM farming_cum AS c WHERE c.machine = farming_cum.machine "
                     "AND c.harvester = farming_cum.harvester AND c.slot > farming_cum.slot AND {same})")
    with transaction(botdb):
        old = int((now - KEEP_DAYS * 86400) // SLOT)
        botdb.execute(f"DELETE FROM farming_cum WHERE slot < ? AND {later_in_same.format(same='c.slot < ?')}", (old, old))
        per_hour = 3600 // SLOT
        fine = int((now - FINE_DAYS * 86400) // SLOT)
        botdb.execute(f"DELETE FROM farming_cum WHERE slot < ? AND "
                      f"{later_in_same.format(same=f'c.slot / {per_hour} = farming_cum.slot / {per_hour}')}", (fine,))


def _nth_seq(reader: StoreReader, after: int, n: int) -> int:
    row = reader.query("SELECT seq FROM farming_events WHERE seq > ? ORDER BY seq LIMIT 1 OFFSET ?", (after, n - 1))
    return row[0][0] if row else 2**62


def _fold(botdb: sqlite3.Connection, groups: list) -> int:
    """Add bucket sums (one per harvester and slot, in slot order) to the running totals.

    Buckets of the current slot or a later one (almost all of them) append: the new row is the
    harvester's last row plus the sums, written in one executemany. A bucket delivered late for an
    earlier slot also raises every later row of its harvester."""
    last = {key: (row["slot"], [row[c] for c in COUNTS]) for key, row in totals_upto(botdb, 2**62).items()}
    rows: dict[tuple[str, str, int], list[int]] = {}
    folded = 0
    for group in groups:
        key, slot = (group["machine"], group["harvester"]), group["slot"]
        delta = [int(group[c] or 0) for c in COUNTS]
        folded += delta[0]
        last_slot, totals = last.get(key, (None, [0] * len(COUNTS)))
        if last_slot is not None and slot < last_slot:
            _write(botdb, rows)
            rows.clear()
            _fold_late(botdb, key, slot, delta)
            last[key] = (last_slot, [a + b for a, b in zip(totals, delta)])
            continue
        totals = [a + b for a, b in zip(totals, delta)]
        rows[(*key, slot)] = totals
        last[key] = (slot, totals)
    _write(botdb, rows)
    return folded


def _write(botdb: sqlite3.Connection, rows: dict[tuple[str, str, int], list[int]]) -> None:
    botdb.executemany("INSERT OR IGNORE INTO farming_keys (machine, harvester) VALUES (?, ?)",
                      {(machine, harvester) for machine, harvester, _slot in rows})
    botdb.executemany(f"INSERT OR REPLACE INTO farming_cum (machine, harvester, slot, {', '.join(COUNTS)}) "
                      f"VALUES (?, ?, ?, {', '.join('?' * len(COUNTS))})", [(*k, *v) for k, v in rows.items()])


def _fold_late(botdb: sqlite3.Connection, key: tuple[str, str], slot: int, delta: list[int]) -> None:
    if botdb.execute("SELECT 1 FROM farming_cum WHERE machine = ? AND harvester = ? AND slot = ?", (*key, slot)).fetchone() is None:
        # the new row starts from the totals just before it
        previous = botdb.execute(f"SELECT {', '.join(COUNTS)} FROM farming_cum WHERE machine = ? AND harvester = ? AND slot < ? "
                                 "ORDER BY slot DESC LIMIT 1", (*key, slot)).fetchone()
        botdb.execute(f"INSERT INTO farming_cum (machine, harvester, slot, {', '.join(COUNTS)}) "
                      f"VALUES (?, ?, ?, {', '.join('?' * len(COUNTS))})",
                      (*key, slot, *(previous if previous is not None else [0] * len(COUNTS))))
    botdb.execute(f"UPDATE farming_cum SET {', '.join(f'{c} = {c} + ?' for c in COUNTS)} "
                  "WHERE machine = ? AND harvester = ? AND slot >= ?", (*delta, *key, slot))
