"""The durable alert outbox: alerts are written here in the engine's transaction, and a row is
done once every transport has delivered it. A chat outage delays alerts; a restart loses none."""
from __future__ import annotations

import json
import sqlite3

from bot.reply import Reply
from monitor.sqlite_tx import transaction


def enqueue(conn: sqlite3.Connection, reply: Reply, machine: str, rule: str, now: float, not_before: float,
            source_time: float | None = None, only_to: list[str] | None = None) -> int:
    """Add one message (call inside the caller's transaction); returns its id."""
    return conn.execute("INSERT INTO outbox (created, not_before, machine, severity, rule, reply, only_to, source_time) "
                 "VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                 (now, not_before, machine, reply.severity or "info", rule, reply.to_json(),
                  json.dumps(only_to) if only_to else "", source_time)).lastrowid


def rewrite_unsent(conn: sqlite3.Connection, row_id: int, reply: Reply) -> None:
    """An announcement still waiting (grouping window, quiet hours, outage) shows the latest detail."""
    conn.execute("UPDATE outbox SET reply = ? WHERE id = ? AND sent_to = '[]'", (reply.to_json(), row_id))


def ready(conn: sqlite3.Connection, now: float) -> list[sqlite3.Row]:
    return conn.execute("SELECT * FROM outbox WHERE done = 0 AND not_before <= ? ORDER BY id", (now,)).fetchall()


def wanted_by(row: sqlite3.Row, transport: str) -> bool:
    """Does this transport still owe this row?"""
    if transport in json.loads(row["sent_to"]):
        return False
    return not row["only_to"] or transport in json.loads(row["only_to"])


def mark_delivered(conn: sqlite3.Connection, ids: list[int], transport: str, transports: list[str]) -> None:
    """Record that `transport` delivered rows `ids`; a row is done when no current transport owes it."""
    for row_id in ids:
        row = conn.execute("SELECT * FROM outbox WHERE id = ?", (row_id,)).fetchone()
        sent = sorted(set(json.loads(row["sent_to"])) | {transport})
        owed = [t for t in transports if t not in sent and (not row["only_to"] or t in json.loads(row["only_to"]))]
        conn.execute("UPDATE outbox SET sent_to = ?, done = ? WHERE id = ?", (json.dumps(sent), int(not owed), row_id))


def prune(conn: sqlite3.Connection, before: float) -> int:
    """Forget delivered messages older than `before` (undelivered ones are kept whatever their age)."""
    with transaction(conn):
        return conn.execute("DELETE FROM outbox WHERE done = 1 AND created < ?", (before,)).rowcount
