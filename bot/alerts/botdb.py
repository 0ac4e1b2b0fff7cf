"""The bot's own sqlite file (bot.db beside the store): alert state (its table belongs to
bot.alerts.lifecycle), outbox, mutes, cursors, rollups (the daily one: bot.stats.daily).

Kept apart from the store so the store keeps one writer; several connections (the alert engine,
the command thread, `teafarm ask`) may open it at once: WAL and a busy timeout make that safe, and
every change that must happen together runs in one BEGIN IMMEDIATE transaction.

An older bot.db opens as it is: new tables are created beside the old ones, and rows queued before
alerts had destinations keep their meaning (bot.alerts.outbox reads the transport names they hold).
"""
from __future__ import annotations

import sqlite3
from pathlib import Path

from bot.alerts import lifecycle
from bot.stats import daily
from monitor.sqlite_tx import transaction

HISTOGRAM_BINS = 12          # lookup-time bins of the farming rollup (bot.stats.rollup.LOOKUP_EDGES + 1)

SCHEMA = """
CREATE TABLE IF NOT EXISTS cursors (name TEXT PRIMARY KEY, seq INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS outbox (
    id INTEGER PRIMARY KEY, created REAL NOT NULL, not_before REAL NOT NULL,
    machine TEXT NOT NULL, severity TEXT NOT NULL, rule TEXT NOT NULL, reply TEXT NOT NULL,
    sent_to TEXT NOT NULL DEFAULT '[]',   -- keys of the destinations that delivered it (bot.alerts.outbox)
    only_to TEXT NOT NULL DEFAULT '',     -- JSON list: deliver only to these destination keys ('' = all that want it)
    done INTEGER NOT NULL DEFAULT 0,
    source_time REAL);                    -- server receive time of the event behind it (latency bench)
CREATE INDEX IF NOT EXISTS outbox_open ON outbox (done, id);
CREATE TABLE IF NOT EXISTS mutes (target TEXT PRIMARY KEY, until REAL NOT NULL, created REAL NOT NULL, by TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS subscriptions (   -- /subscribe: alerts in a user's direct message
    transport TEXT NOT NULL, user_id TEXT NOT NULL, min_severity TEXT NOT NULL, since REAL NOT NULL,
    PRIMARY KEY (transport, user_id));
CREATE TABLE IF NOT EXISTS rule_memory (
    rule TEXT NOT NULL, machine TEXT NOT NULL, key TEXT NOT NULL, value TEXT NOT NULL,
    PRIMARY KEY (rule, machine, key));
"""


def farming_tables(bins: int) -> list[str]:
    """Per-harvester running totals of the farming buckets at 5-minute steps (bot.stats.rollup);
    h0..h<bins-1> count minutes per lookup-time bin."""
    counts = ", ".join(f"{c} INTEGER NOT NULL DEFAULT 0" for c in
                       ("buckets", "expected", "answered", "missed", "late5", "late28", "proofs", *(f"h{i}" for i in range(bins))))
    return [f"CREATE TABLE IF NOT EXISTS farming_cum (machine TEXT NOT NULL, harvester TEXT NOT NULL, slot INTEGER NOT NULL, "
            f"{counts}, PRIMARY KEY (machine, harvester, slot))",
            "CREATE TABLE IF NOT EXISTS farming_keys (machine TEXT NOT NULL, harvester TEXT NOT NULL, PRIMARY KEY (machine, harvester))"]


def connect_botdb(path: Path) -> sqlite3.Connection:
    path.parent.mkdir(parents=True, exist_ok=True)
    conn = sqlite3.connect(path, timeout=30, isolation_level=None, check_same_thread=False)
    conn.row_factory = sqlite3.Row
    conn.execute("PRAGMA journal_mode = WAL")
    conn.execute("PRAGMA synchronous = NORMAL")
    conn.execute("PRAGMA busy_timeout = 30000")
    with transaction(conn):
        for statement in [*SCHEMA.split(";"), *lifecycle.SCHEMA.split(";"), daily.SCHEMA]:
            if statement.strip():
                conn.execute(statement)
        lifecycle.migrate(conn)
        for statement in farming_tables(HISTOGRAM_BINS):
            conn.execute(statement)
    return conn


def get_cursor(conn: sqlite3.Connection, name: str) -> int:
    row = conn.execute("SELECT seq FROM cursors WHERE name = ?", (name,)).fetchone()
    return row[0] if row else 0


def set_cursor(conn: sqlite3.Connection, name: str, seq: int) -> None:
    conn.execute("INSERT INTO cursors (name, seq) VALUES (?, ?) ON CONFLICT (name) DO UPDATE SET seq = excluded.seq",
                 (name, seq))
