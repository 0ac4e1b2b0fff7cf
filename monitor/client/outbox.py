"""The client's durable outbox (a local sqlite file).

Events wait here, in order and with their original times, until the server acknowledges them.
The base (the state the queued events lead to) is stored beside them and changed in the same
transaction, so a crash or kill -9 at any point neither loses an event nor sends one twice.
A big batch (a 100k-plot sync) is stored as ready-to-send chunks of about CHUNK_BYTES, so it is
never held whole in memory again; the server applies the chunks together when the last arrives.
"""
from __future__ import annotations

import sqlite3
import time
import uuid
from collections.abc import Iterable
from pathlib import Path

from monitor.client.diff import State, entity_key
from monitor.sqlite_tx import create_private, transaction
from monitor.wal_checkpoint import WalCheckpointer
from protocol.registry import BY_NAME, STATE_TOPICS, topic_of
from protocol import events_pb2, service_pb2

CHUNK_BYTES = 1024 * 1024      # far below gRPC's 4 MiB default message limit

SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS batches (id INTEGER PRIMARY KEY AUTOINCREMENT, created REAL NOT NULL, chunks INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS chunks (batch_id INTEGER NOT NULL, chunk INTEGER NOT NULL, events BLOB NOT NULL,
                                   PRIMARY KEY (batch_id, chunk)) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS base (topic TEXT NOT NULL, id TEXT NOT NULL, data BLOB NOT NULL, PRIMARY KEY (topic, id)) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS checkpoints (collector TEXT PRIMARY KEY, data TEXT NOT NULL);
"""


class Outbox:
    def __init__(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        create_private(path)
        self.conn = sqlite3.connect(path, isolation_level=None)
        self.conn.execute("PRAGMA journal_mode = WAL")
        self.conn.execute("PRAGMA synchronous = FULL")  # the outbox is the only copy until acknowledged
        self.conn.execute("PRAGMA cache_size = -16384")  # 16 MiB (default 2): a 100k-plot base is one big index
        self.conn.executescript(SCHEMA)
        self._checkpointer = WalCheckpointer(self.conn, path)  # a 100k-plot sync is not held up copying the WAL
        self.is_new = False
        self.outbox_id = self._outbox_id()

    def close(self) -> None:
        self._checkpointer.close()
        self.conn.close()

    def _outbox_id(self) -> str:
        row = self.conn.execute("SELECT value FROM meta WHERE key = 'outbox_id'").fetchone()
        if row:
            return row[0]
        new_id = uuid.uuid4().hex
        self.is_new = True  # no base yet: the client should learn the server's state before diffing
        self.conn.execute("INSERT INTO meta (key, value) VALUES ('outbox_id', ?)", (new_id,))
        return new_id

    def enqueue(self, events: list[events_pb2.UpdateEvent], checkpoints: dict[str, str] | None = None) -> int:
        """Queue one batch and move the stored base along with it; returns the batch id. A
        collector's checkpoint (where its log was read to) is stored in the same transaction as the
        facts it took, so a kill at any point neither loses them nor reads them again."""
        parts = _split(events)
        with transaction(self.conn, self._checkpointer.committed):
            batch_id = self.conn.execute("INSERT INTO batches (created, chunks) VALUES (?, ?)",
                                         (time.time(), len(parts))).lastrowid
            self.conn.executemany("INSERT INTO chunks (batch_id, chunk, events) VALUES (?, ?, ?)",
                                  ((batch_id, i, service_pb2.EventBatch(events=part).SerializeToString())
                                   for i, part in enumerate(parts)))
            self._apply_to_base(events)
            self._save_checkpoints(checkpoints or {})
        return batch_id

    def save_checkpoints(self, checkpoints: dict[str, str]) -> None:
        """Checkpoints with no fact to go with them (lines read that held none)."""
        with transaction(self.conn, self._checkpointer.committed):
            self._save_checkpoints(checkpoints)

    def _save_checkpoints(self, checkpoints: dict[str, str]) -> None:
        self.conn.executemany("INSERT OR REPLACE INTO checkpoints (collector, data) VALUES (?, ?)", checkpoints.items())

    def checkpoints(self) -> dict[str, str]:
        return dict(self.conn.execute("SELECT collector, data FROM checkpoints"))

    def _apply_to_base(self, events: Iterable[events_pb2.UpdateEvent]) -> None:
        upserts, deletes = [], []
        for event in events:
            topic = topic_of(event)
            if topic is None or topic.is_fact:
                continue
            key = entity_key(topic, event)
            if event.event_type == events_pb2.DELETE:
                deletes.append((topic.name, key))
            else:
                upserts.append((topic.name, key, getattr(event, topic.name).SerializeToString()))
        upserts.sort()  # in key order: inserting into the base's index is then mostly appending
        self.conn.executemany("INSERT OR REPLACE INTO base (topic, id, data) VALUES (?, ?, ?)", upserts)
        self.conn.executemany("DELETE FROM base WHERE topic = ? AND id = ?", deletes)

    def pending(self, after_id: int = 0, limit: int = 16) -> list[tuple[int, int]]:
        """(batch id, number of chunks) of the batches queued after `after_id`, oldest first."""
        return self.conn.execute("SELECT id, chunks FROM batches WHERE id > ? ORDER BY id LIMIT ?", (after_id, limit)).fetchall()

    def chunk(self, batch_id: int, chunk: int, chunks: int) -> service_pb2.EventBatch:
        """One chunk of a queued batch, ready to send."""
        (data,), = self.conn.execute("SELECT events FROM chunks WHERE batch_id = ? AND chunk = ?", (batch_id, chunk))
        message = service_pb2.EventBatch.FromString(data)
        message.batch_id, message.chunk, message.chunks = batch_id, chunk, chunks
        return message

    def pending_count(self) -> int:
        return self.conn.execute("SELECT COUNT(*) FROM batches").fetchone()[0]

    def confirm(self, up_to_batch_id: int) -> None:
        """The server has applied every batch up to this one."""
        with transaction(self.conn, self._checkpointer.committed):
            self.conn.execute("DELETE FROM batches WHERE id <= ?", (up_to_batch_id,))
            self.conn.execute("DELETE FROM chunks WHERE batch_id <= ?", (up_to_batch_id,))

    def load_base(self) -> State:
        state: State = {t.name: {} for t in STATE_TOPICS}
        for topic_name, key, data in self.conn.execute("SELECT topic, id, data FROM base"):
            topic = BY_NAME.get(topic_name)
            if topic is not None and not topic.is_fact:
                state[topic_name][key] = topic.message.FromString(data)
        return state

    def replace_base(self, state: State) -> None:
        """Resync: the server's state becomes the base the next diff is made against."""
        rows = [(topic, key, message.SerializeToString()) for topic, entities in state.items() for key, message in entities.items()]
        with transaction(self.conn, self._checkpointer.committed):
            self.conn.execute("DELETE FROM base")
            self.conn.executemany("INSERT INTO base (topic, id, data) VALUES (?, ?, ?)", rows)


def _split(events: list[events_pb2.UpdateEvent]) -> list[list[events_pb2.UpdateEvent]]:
    parts: list[list[events_pb2.UpdateEvent]] = [[]]
    size = 0
    for event in events:
        event_size = event.ByteSize() + 8
        if parts[-1] and size + event_size > CHUNK_BYTES:
            parts.append([])
            size = 0
        parts[-1].append(event)
        size += event_size
    return parts
