"""The writer side of the store: applies a machine's events in one transaction per request.

Every event gets the next global sequence number and the server's receive time beside the
client's time; alert rules follow the sequence number, never wall-clock windows. One connection,
used from one thread at a time (the server runs it in a writer process of its own).
"""
from __future__ import annotations

import logging
import math
import sqlite3
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from monitor.sqlite_tx import create_private, file_identity, transaction
from monitor.store import history
from monitor.wal_checkpoint import WalCheckpointer
from protocol.registry import topic_of
from monitor.store.columns import NotStorable
from monitor.store.schema import EVENT_COLUMNS, STATE_COLUMNS, TopicTable, create_or_migrate, topic_tables
from protocol import events_pb2

log = logging.getLogger(__name__)

EVENT_TYPE_NAMES = {events_pb2.ADD: "ADD", events_pb2.UPDATE: "UPDATE", events_pb2.DELETE: "DELETE"}
PRUNE_CHUNK = 50_000


def connect(path: Path, read_only: bool = False) -> sqlite3.Connection:
    if read_only:
        conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True, check_same_thread=False, timeout=10)
        conn.execute("PRAGMA query_only = ON")
    else:
        path.parent.mkdir(parents=True, exist_ok=True)
        create_private(path)
        conn = sqlite3.connect(path, check_same_thread=False, timeout=10, isolation_level=None)
        conn.execute("PRAGMA journal_mode = WAL")
        conn.execute("PRAGMA synchronous = NORMAL")  # WAL + NORMAL: durable across app crashes
        conn.execute("PRAGMA cache_size = -65536")   # 64 MiB: a 100k-plot sync touches many index pages
    conn.execute("PRAGMA busy_timeout = 10000")
    return conn


class DatabaseLost(Exception):
    """The database file was deleted or replaced while the store had it open: what it commits now goes
    into a file nobody opens again, so nothing more may be acknowledged. The message is one line."""


def check_same_file(path: Path, identity: tuple[int, int] | None) -> None:
    """Raise DatabaseLost unless the file at `path` is still the one `identity` names."""
    found = file_identity(path)
    if found != identity:
        what = "deleted" if found is None else "replaced by another file"
        raise DatabaseLost(f"the farm database {path} was {what} while the server was using it")


@dataclass(frozen=True)
class ApplyResult:
    last_seq: int          # the sequence number of the last event applied (0: nothing new)
    applied: int           # events stored
    duplicate: bool        # the batch had been applied before: nothing was written
    unknown: int           # events with a payload this version does not know (skipped)
    refused: tuple[tuple[int, str], ...] = ()   # (index in the batch, reason): events not storable exactly


@dataclass(frozen=True)
class Request:
    machine: str
    events: Sequence[events_pb2.UpdateEvent]
    clock_offset: float = 0.0
    delivery: tuple[str, int] | None = None    # (outbox_id, batch_id)


class _PendingWrites:
    """The rows of a group of requests, written with one statement per table."""

    def __init__(self) -> None:
        self.event_rows: dict[str, list[tuple]] = {}
        # per state topic and entity: the seq of its last event here, and its state row (None: deleted)
        self.final_state: dict[str, dict[tuple[str, str], tuple[int, tuple | None]]] = {}
        self.tables: dict[str, TopicTable] = {}

    def add(self, table: TopicTable, machine: str, seq: int, event: events_pb2.UpdateEvent, clock_offset: float, now: float) -> None:
        """Raises NotStorable, before anything is added, for an event the store cannot keep exactly."""
        topic = table.topic
        message = getattr(event, topic.name)
        key = message.id if topic.keyed else ""
        if not math.isfinite(event.timestamp):
            raise NotStorable(f"its time is {event.timestamp}, not a finite number")
        corrected = event.timestamp + clock_offset
        deleted = event.event_type == events_pb2.DELETE
        values = (None,) * len(table.columns) if deleted else table.rows.values(message)
        self.tables[topic.name] = table
        previous = 0
        if not topic.is_fact:
            final = self.final_state.setdefault(topic.name, {})
            if event.event_type != events_pb2.ADD:  # its last event in this group, else (None) the state row's
                previous = final[(machine, key)][0] if (machine, key) in final else None
            # only the last change of an entity matters for its state row
            final[(machine, key)] = (seq, None if deleted else (machine, key, seq, corrected, now, *values))
        self.event_rows.setdefault(topic.name, []).append(
            (seq, machine, key, EVENT_TYPE_NAMES[event.event_type], event.timestamp, now, corrected, previous, *values))

    def write(self, conn: sqlite3.Connection) -> None:
        for name, rows in self.event_rows.items():
            conn.executemany(_event_insert(self.tables[name]), rows)
        for name, state in self.final_state.items():
            table = self.tables[name]
            upserts = [row for _, row in state.values() if row is not None]
            if upserts:
                columns = [*STATE_COLUMNS, *table.column_names]
                conn.executemany(_upsert(table.topic.state_table, columns), upserts)
            deletes = [key for key, (_, row) in state.items() if row is None]
            if deletes:
                conn.executemany(f'DELETE FROM "{table.topic.state_table}" WHERE machine = ? AND id = ?', deletes)


def _entity(topic, event: events_pb2.UpdateEvent) -> str:
    """How a refusal names the event: its topic, and its entity's id for keyed topics."""
    return f"{topic.name} {getattr(event, topic.name).id[:80]!r}" if topic.keyed else topic.name


def _event_insert(table: TopicTable) -> str:
    """The insert of an event row; a prev_seq of None becomes the entity's state row's seq (0: none)."""
    columns = [*EVENT_COLUMNS, *table.column_names]
    values = [f"?{number}" for number in range(1, len(columns) + 1)]
    if not table.topic.is_fact:
        machine, key, previous = (EVENT_COLUMNS.index(c) + 1 for c in ("machine", "id", "prev_seq"))
        values[previous - 1] = (f'COALESCE(?{previous}, (SELECT seq FROM "{table.topic.state_table}" '
                                f'WHERE machine = ?{machine} AND id = ?{key}), 0)')
    return f'INSERT INTO "{table.topic.event_table}" ({_names(columns)}) VALUES ({", ".join(values)})'


def _upsert(table: str, columns: list[str]) -> str:
    """Insert, or update the existing row in place (OR REPLACE would delete it and insert a new one:
    twice the pages written, and its index entry moved)."""
    changes = ", ".join(f'"{c}" = excluded."{c}"' for c in columns if c not in ("machine", "id"))
    return (f'INSERT INTO "{table}" ({_names(columns)}) VALUES ({", ".join("?" * len(columns))}) '
            f'ON CONFLICT (machine, id) DO UPDATE SET {changes}')


def _names(columns: list[str]) -> str:
    return ", ".join(f'"{c}"' for c in columns)


class Store:
    def __init__(self, path: Path, retention_days: dict[str, int] | None = None) -> None:
        self.path = path
        self.retention_days = retention_days or {"default": 30}
        self.tables = topic_tables()
        self.conn = connect(path)
        self._identity = file_identity(path)   # the file this connection writes, checked after each commit
        self._lost: str | None = None          # why no write is possible any more (DatabaseLost)
        self._checkpointer = WalCheckpointer(self.conn, path)   # checkpoints off the commit path
        with transaction(self.conn, self._checkpointer.committed):
            added = create_or_migrate(self.conn, self.tables)
        if added:
            log.info("database %s: added columns %s", path, ", ".join(added))
        self._next_seq = self._max_seq() + 1
        self._history_recorded = False
        if self._next_seq == 1 and not self.conn.execute("SELECT 1 FROM machines LIMIT 1").fetchone():
            lost = history.lost_history(path)
            if lost:
                log.warning("%s", lost)
        self._record_history()

    def close(self) -> None:
        self._checkpointer.close()
        self.conn.close()

    # -- ingest -------------------------------------------------------------------------------
    def apply(self, machine: str, events: Sequence[events_pb2.UpdateEvent], clock_offset: float = 0.0,
              delivery: tuple[str, int] | None = None, server_time: float | None = None) -> ApplyResult:
        """Store `events` from `machine` in one transaction.

        `delivery` = (outbox_id, batch_id): a batch at or below the last one applied for that
        outbox is acknowledged without writing anything (delivery is idempotent).
        """
        return self.apply_many([Request(machine, events, clock_offset, delivery)], server_time)[0]

    def apply_many(self, requests: Sequence[Request], server_time: float | None = None) -> list[ApplyResult]:
        """Several requests in one transaction (group commit): each is stored whole or not at all."""
        now = server_time if server_time is not None else time.time()
        first_seq = self._next_seq
        try:
            with self._write():
                return self._apply_all(requests, now)
        except BaseException:
            self._next_seq = first_seq  # the transaction rolled back: its numbers are free again
            raise

    def _apply_all(self, requests: Sequence[Request], now: float) -> list[ApplyResult]:
        pending = _PendingWrites()
        results = []
        for request in requests:
            if request.delivery is not None and self._already_applied(request.machine, *request.delivery):
                results.append(ApplyResult(0, 0, True, 0))
                continue
            applied = unknown = 0
            refused = []
            for index, event in enumerate(request.events):
                topic = topic_of(event)
                if topic is None or event.event_type not in EVENT_TYPE_NAMES:
                    unknown += 1
                    continue
                try:
                    pending.add(self.tables[topic.name], request.machine, self._next_seq, event, request.clock_offset, now)
                except NotStorable as exc:
                    refused.append((index, f"{_entity(topic, event)}: {exc}"))
                    continue
                self._next_seq += 1
                applied += 1
            if refused:
                self.conn.execute("UPDATE machines SET refused_events = refused_events + ? WHERE machine = ?",
                                  (len(refused), request.machine))
            if request.delivery is not None:
                self.conn.execute(
                    "INSERT INTO deliveries (machine, outbox_id, last_batch_id) VALUES (?, ?, ?) "
                    "ON CONFLICT (machine, outbox_id) DO UPDATE SET last_batch_id = excluded.last_batch_id",
                    (request.machine, *request.delivery))
            results.append(ApplyResult(self._next_seq - 1 if applied else 0, applied, False, unknown, tuple(refused)))
        pending.write(self.conn)
        self.conn.executemany("UPDATE machines SET last_seen = ? WHERE machine = ?",
                              [(now, machine) for machine in {r.machine for r in requests}])
        return results

    def _already_applied(self, machine: str, outbox_id: str, batch_id: int) -> bool:
        row = self.conn.execute("SELECT last_batch_id FROM deliveries WHERE machine = ? AND outbox_id = ?",
                                (machine, outbox_id)).fetchone()
        return row is not None and batch_id <= row[0]

    def last_batch_id(self, machine: str, outbox_id: str) -> int:
        row = self.conn.execute("SELECT last_batch_id FROM deliveries WHERE machine = ? AND outbox_id = ?",
                                (machine, outbox_id)).fetchone()
        return row[0] if row else 0

    # -- machines -----------------------------------------------------------------------------
    def machine_connected(self, machine: str, version: str, clock_offset: float, address: str) -> None:
        now = time.time()
        with self._write():
            self.conn.execute(
                "INSERT INTO machines (machine, first_seen, last_seen, connected, connected_since, teafarm_version, clock_offset, address) "
                "VALUES (?, ?, ?, 1, ?, ?, ?, ?) ON CONFLICT (machine) DO UPDATE SET last_seen = excluded.last_seen, "
                # online since its first live stream, not since its newest one
                "connected_since = CASE WHEN connected = 1 THEN connected_since ELSE excluded.connected_since END, "
                "connected = 1, teafarm_version = excluded.teafarm_version, "
                "clock_offset = excluded.clock_offset, address = excluded.address",
                (machine, now, now, now, version, clock_offset, address))

    def machine_seen(self, machine: str, clock_offset: float | None = None) -> None:
        with self._write():
            if clock_offset is None:
                self.conn.execute("UPDATE machines SET last_seen = ? WHERE machine = ?", (time.time(), machine))
            else:
                self.conn.execute("UPDATE machines SET last_seen = ?, clock_offset = ? WHERE machine = ?",
                                  (time.time(), clock_offset, machine))

    def machine_disconnected(self, machine: str) -> None:
        with self._write():
            self.conn.execute("UPDATE machines SET connected = 0 WHERE machine = ?", (machine,))

    def machines_disconnected(self) -> None:
        """A server starting has no stream yet: whatever a server killed before it left says nothing."""
        with self._write():
            self.conn.execute("UPDATE machines SET connected = 0 WHERE connected != 0")

    # -- retention ----------------------------------------------------------------------------
    def prune(self, now: float | None = None) -> int:
        """Delete events older than each topic's retention (by their own time); returns how many."""
        now = now if now is not None else time.time()
        default = self.retention_days.get("default", 30)
        deleted = 0
        with self._write():   # sequence numbers never go back, even when every event is pruned (the alert cursor follows them)
            self.conn.execute("INSERT OR REPLACE INTO seq_floor (one, seq) VALUES (1, ?)", (self._next_seq - 1,))
        for table in self.tables.values():
            days = self.retention_days.get(table.topic.name, default)
            cutoff = now - days * 86400
            name = table.topic.event_table
            while True:  # in chunks, so ingest is never locked out for long
                with self._write():
                    cursor = self.conn.execute(
                        f'DELETE FROM "{name}" WHERE seq IN (SELECT seq FROM "{name}" WHERE time < ? LIMIT ?)',
                        (cutoff, PRUNE_CHUNK))
                deleted += cursor.rowcount
                if cursor.rowcount < PRUNE_CHUNK:
                    break
        if deleted:
            log.info("retention: deleted %d old events", deleted)
        return deleted

    # -- writes -----------------------------------------------------------------------------------
    @contextmanager
    def _write(self) -> Iterator[None]:
        """One write transaction; none once the database file is lost."""
        if self._lost is not None:
            raise DatabaseLost(self._lost)
        with transaction(self.conn, self._committed):
            yield

    def _committed(self) -> None:
        """Runs after every commit, before anything it holds is acknowledged."""
        self._check_file()
        self._checkpointer.committed()
        self._record_history()

    def _check_file(self) -> None:
        """Raise DatabaseLost unless the file at `path` is still the one this connection writes."""
        try:
            check_same_file(self.path, self._identity)
        except DatabaseLost as exc:
            self._lost = str(exc)
            self._empty_wal()
            raise

    def _empty_wal(self) -> None:
        """sqlite pairs a database with its WAL by name: the WAL beside `path` would be read as part of
        whatever file is there next (a restored backup overwritten with our pages). Move its commits
        into our own file (still open, wherever it is now) and leave the WAL empty."""
        try:
            self.conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        except sqlite3.Error as exc:
            log.warning("could not empty the WAL of %s: %s", self.path, exc)

    def _record_history(self) -> None:
        """Once this database holds events, keep the evidence beside it (see monitor/store/history.py)."""
        if self._history_recorded or self._next_seq == 1:
            return
        self._history_recorded = True   # once per start: the evidence, not a running count
        try:
            history.record(self.path, self._next_seq - 1)
        except OSError as exc:
            log.warning("cannot write %s: %s", history.marker_path(self.path), exc)

    # -- helpers ------------------------------------------------------------------------------
    def _max_seq(self) -> int:
        floor = self.conn.execute("SELECT seq FROM seq_floor").fetchone()
        highest = floor[0] if floor else 0
        for table in self.tables.values():
            row = self.conn.execute(f'SELECT MAX(seq) FROM "{table.topic.event_table}"').fetchone()
            highest = max(highest, row[0] or 0)
        return highest
