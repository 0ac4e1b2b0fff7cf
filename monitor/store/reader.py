"""The read side of the store, for the bot's commands and alert engine (read-only connection)."""
from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from monitor.store.columns import fill_message
from protocol.registry import BY_NAME, STATE_TOPICS, TOPICS
from monitor.store.schema import EVENT_COLUMNS, topic_tables
from monitor.store.store import connect
from protocol import events_pb2



@dataclass(frozen=True)
class StoredEvent:
    topic: str
    seq: int
    machine: str
    id: str
    event_type: str        # ADD, UPDATE, DELETE
    time: float            # the event's own time, corrected by the server-measured clock offset
    server_time: float
    prev_seq: int | None   # the entity's previous event (0: none; None: stored before teafarm kept it)
    values: dict[str, Any]


class StoreReader:
    def __init__(self, path: Path) -> None:
        self.path = path
        self.conn = connect(path, read_only=True)
        self.conn.row_factory = sqlite3.Row
        self.tables = topic_tables()

    def close(self) -> None:
        self.conn.close()

    def query(self, sql: str, params: tuple | dict = ()) -> list[sqlite3.Row]:
        return self.conn.execute(sql, params).fetchall()

    def state(self, topic: str, machine: str | None = None) -> list[dict[str, Any]]:
        table = BY_NAME[topic].state_table
        if machine is None:
            rows = self.query(f'SELECT * FROM "{table}" ORDER BY machine, id')
        else:
            rows = self.query(f'SELECT * FROM "{table}" WHERE machine = ? ORDER BY id', (machine,))
        return [dict(r) for r in rows]

    def machines(self) -> list[dict[str, Any]]:
        return [dict(r) for r in self.query("SELECT * FROM machines ORDER BY machine")]

    def max_seq(self) -> int:
        return max((self.query(f'SELECT MAX(seq) FROM "{t.event_table}"')[0][0] or 0) for t in TOPICS)

    def events_after(self, seq: int, limit: int = 1000) -> list[StoredEvent]:
        """Events of every topic with a sequence number above `seq`, in sequence order.

        The tables are read in one read transaction: all see the same commits, so a commit landing
        between two reads cannot let a cursor jump over an event of a table already read.
        """
        found: list[StoredEvent] = []
        self.conn.execute("BEGIN")
        try:
            for topic in TOPICS:
                rows = self.query(f'SELECT * FROM "{topic.event_table}" WHERE seq > ? ORDER BY seq LIMIT ?', (seq, limit))
                found += [_stored_event(topic.name, r) for r in rows]
        finally:
            self.conn.execute("COMMIT")
        found.sort(key=lambda e: e.seq)
        return found[:limit]

    def previous(self, event: StoredEvent) -> dict[str, Any] | None:
        """The entity as it was just before `event` (None if it did not exist)."""
        table = BY_NAME[event.topic].event_table
        if event.prev_seq is None:  # an older database's row: found by the index such databases have
            row = self.query(f'SELECT * FROM "{table}" WHERE machine = ? AND id = ? AND seq < ? ORDER BY seq DESC LIMIT 1',
                             (event.machine, event.id, event.seq))
        else:
            row = self.query(f'SELECT * FROM "{table}" WHERE seq = ?', (event.prev_seq,))
        if not row or row[0]["event_type"] == "DELETE":
            return None
        return _values(row[0], EVENT_COLUMNS)

    def machine_snapshot(self, machine: str, max_items: int = 20_000) -> Iterator[events_pb2.ComputerInfo]:
        """The server's state for one machine as ComputerInfo chunks of at most `max_items` rows."""
        chunk = events_pb2.ComputerInfo(machine=machine)
        items = 0
        for topic in STATE_TOPICS:
            table = self.tables[topic.name]
            for row in self.conn.execute(f'SELECT * FROM "{topic.state_table}" WHERE machine = ?', (machine,)):
                if topic.keyed:
                    message = getattr(chunk, topic.snapshot_field).add()
                    message.id = row["id"]
                else:
                    message = getattr(chunk, topic.snapshot_field)
                    message.SetInParent()
                fill_message(table.columns, message, dict(row))
                items += 1
                if items >= max_items:
                    yield chunk
                    chunk, items = events_pb2.ComputerInfo(machine=machine), 0
        yield chunk


def _values(row: sqlite3.Row, meta: tuple[str, ...]) -> dict[str, Any]:
    values = {k: row[k] for k in row.keys() if k not in meta}
    values["id"] = row["id"]
    return values


def _stored_event(topic: str, row: sqlite3.Row) -> StoredEvent:
    return StoredEvent(topic, row["seq"], row["machine"], row["id"], row["event_type"], row["time"],
                       row["server_time"], row["prev_seq"], _values(row, EVENT_COLUMNS))
