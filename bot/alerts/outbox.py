"""The durable alert outbox: alerts are written here in the engine's transaction, delivery is
recorded per destination (`Destination.key`), and a row is done once no current destination owes
it. A chat outage delays alerts; a restart loses none.

`sent_to` and `only_to` are JSON lists of destination keys. Databases from before destinations hold
transport names there ("discord"): such an entry still stands for every destination of that
transport, so a row half-delivered before the upgrade is not sent twice.
"""
from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterable

from bot.reply import Reply
from bot.transports.base import Destination
from monitor.sqlite_tx import transaction


def enqueue(conn: sqlite3.Connection, reply: Reply, machine: str, rule: str, now: float, not_before: float,
            source_time: float | None = None, only_to: list[str] | None = None, route_as: str | None = None) -> int:
    """Add one message (call inside the caller's transaction); returns its id. `only_to`: destination
    keys it goes to, whatever their least severity (notices, the start-up message); `route_as`: the
    severity destinations filter on, when not the reply's (a recovery goes where its alert went)."""
    return conn.execute("INSERT INTO outbox (created, not_before, machine, severity, rule, reply, only_to, source_time) "
                        "VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                        (now, not_before, machine, route_as or reply.severity or "info", rule, reply.to_json(),
                         json.dumps(only_to) if only_to else "", source_time)).lastrowid


def rewrite_unsent(conn: sqlite3.Connection, row_id: int, reply: Reply) -> None:
    """An announcement still waiting (grouping window, quiet hours, outage) shows the latest detail."""
    conn.execute("UPDATE outbox SET reply = ? WHERE id = ? AND sent_to = '[]'", (reply.to_json(), row_id))


def ready(conn: sqlite3.Connection, now: float) -> list[sqlite3.Row]:
    return conn.execute("SELECT * FROM outbox WHERE done = 0 AND not_before <= ? ORDER BY id", (now,)).fetchall()


def owes(row: sqlite3.Row, destination: Destination) -> bool:
    """Does `destination` still owe this row?"""
    if _names(destination) & set(json.loads(row["sent_to"])):
        return False
    if row["only_to"]:
        return bool(_names(destination) & set(json.loads(row["only_to"])))
    return destination.wants(row["severity"]) and row["created"] >= destination.since


def _names(destination: Destination) -> set[str]:
    return {destination.key, destination.transport}     # the transport name: records from before destinations


def mark_delivered(conn: sqlite3.Connection, ids: list[int], destination: Destination,
                   current: Iterable[Destination]) -> None:
    """Record that `destination` accepted rows `ids` (call inside a transaction); a row is done when no
    `current` destination owes it any more."""
    current = list(current)
    for row_id in ids:
        row = dict(conn.execute("SELECT * FROM outbox WHERE id = ?", (row_id,)).fetchone())
        row["sent_to"] = json.dumps(sorted(set(json.loads(row["sent_to"])) | {destination.key}))
        conn.execute("UPDATE outbox SET sent_to = ? WHERE id = ?", (row["sent_to"], row_id))
        if not any(owes(row, d) for d in current):
            conn.execute("UPDATE outbox SET done = 1 WHERE id = ?", (row_id,))


def close_unowed(conn: sqlite3.Connection, rows: list[sqlite3.Row], current: Iterable[Destination]) -> None:
    """Rows no current destination owes (below every destination's least severity, or meant for a
    destination that is gone) would wait forever: close them."""
    current = list(current)
    stale = [r["id"] for r in rows if not any(owes(r, d) for d in current)]
    if stale:
        with transaction(conn):
            conn.executemany("UPDATE outbox SET done = 1 WHERE id = ?", [(i,) for i in stale])


def prune(conn: sqlite3.Connection, before: float) -> int:
    """Forget delivered messages older than `before` (undelivered ones are kept whatever their age)."""
    with transaction(conn):
        return conn.execute("DELETE FROM outbox WHERE done = 1 AND created < ?", (before,)).rowcount
