"""WAL checkpoints in a thread of their own, so a commit never waits for one.

SQLite's automatic checkpoint runs inside the commit that crosses its threshold: a 100k-plot
sync or a busy second of small batches then copies tens of MiB into the database file before
it can be acknowledged. Here the writer's connection has automatic checkpoints off and reports
its commits; this thread runs a PASSIVE checkpoint (it never blocks the writer or readers) once
enough rows were written, or after a quiet while. SQLite releases the GIL while it copies, so
this runs beside the writer on another core.

A checkpoint beside a writer that keeps appending never catches up with the end of the WAL, and
SQLite starts the WAL over only after one has: under steady load the file would grow without end.
So once the WAL is past WAL_LIMIT, the writer's next commit checkpoints what the background one
left, itself (nothing can append meanwhile), and its next transaction starts the WAL over,
truncated back to WAL_LIMIT. The writer checks the WAL's size itself (a stat per commit): waiting
for the thread to notice let the WAL grow without bound on a machine too busy to schedule it.
"""
from __future__ import annotations

import logging
import sqlite3
import threading
from pathlib import Path

log = logging.getLogger(__name__)

CHECKPOINT_ROWS = 50_000   # rows written since the last checkpoint (a checkpoint copies each page once,
                           # so rarer checkpoints copy less; 50k rows is a WAL of roughly 30-60 MiB)
QUIET_CHECKPOINT = 30.0    # seconds: fewer rows still get checkpointed after this long
WAL_LIMIT = 64 * 1024 * 1024   # bytes of WAL file past which the writer catches the checkpoint up


class WalCheckpointer:
    """Checkpoints the database of `writer` instead of its commits (it turns the writer's automatic
    checkpoints off); pass `committed` as the `on_commit` of the writer's transactions."""

    def __init__(self, writer: sqlite3.Connection, path: Path, rows: int = CHECKPOINT_ROWS,
                 quiet: float = QUIET_CHECKPOINT, wal_limit: int = WAL_LIMIT) -> None:
        writer.execute("PRAGMA wal_autocheckpoint = 0")
        writer.execute(f"PRAGMA journal_size_limit = {wal_limit}")
        self.path = path
        self._wal = path.with_name(path.name + "-wal")
        self._writer = writer
        self.rows = rows
        self.quiet = quiet
        self.wal_limit = wal_limit
        self._rows_written = 0        # by the writer as of its last commit (its connection's total_changes)
        self._rows_checkpointed = 0
        self._due = threading.Event()
        self._one_at_a_time = threading.Lock()   # a checkpoint beside a running one is refused (SQLITE_BUSY)
        self._stopping = False
        self._conn = sqlite3.connect(path, check_same_thread=False, isolation_level=None, timeout=10)
        self._thread = threading.Thread(target=self._run, name=f"wal-checkpoint {path.name}", daemon=True)
        self._thread.start()

    def committed(self) -> None:
        """The writer committed (called on the writer's thread)."""
        if self._wal_size() > self.wal_limit:
            self._checkpoint(self._writer)
        self._rows_written = rows_written = self._writer.total_changes
        if rows_written - self._rows_checkpointed >= self.rows:
            self._due.set()

    def close(self) -> None:
        self._stopping = True
        self._due.set()
        self._thread.join()
        self._conn.close()

    def _run(self) -> None:
        while not self._stopping:
            self._due.wait(self.quiet)
            self._due.clear()
            written = self._rows_written
            if self._stopping or written == self._rows_checkpointed:
                continue
            self._rows_checkpointed = written
            self._checkpoint(self._conn)

    def _checkpoint(self, conn: sqlite3.Connection) -> None:
        try:
            with self._one_at_a_time:
                conn.execute("PRAGMA wal_checkpoint(PASSIVE)")
        except sqlite3.Error as exc:  # a full disk, say: the WAL keeps the data; the next one retries
            log.warning("checkpoint of %s failed: %s", self.path, exc)

    def _wal_size(self) -> int:
        try:
            return self._wal.stat().st_size
        except OSError:
            return 0
