"""WAL checkpoints run in their own thread once enough rows were written, never in the commit."""
from __future__ import annotations

import sqlite3
import time
from contextlib import contextmanager

from monitor.sqlite_tx import transaction
from monitor.wal_checkpoint import WalCheckpointer

DEADLINE = 10.0


@contextmanager
def _checkpointed_writer(path, rows: int, quiet: float, wal_limit: int = 10**12):
    """A WAL database with one table and a writer whose checkpoints are left to a WalCheckpointer."""
    conn = sqlite3.connect(path, isolation_level=None)
    conn.execute("PRAGMA journal_mode = WAL")
    conn.execute("CREATE TABLE t (x BLOB)")
    checkpointer = WalCheckpointer(conn, path, rows=rows, quiet=quiet, wal_limit=wal_limit)
    try:
        yield lambda count: _write(conn, checkpointer, count)
    finally:
        checkpointer.close()
        conn.close()


def _write(conn, checkpointer, rows):
    with transaction(conn, checkpointer.committed):
        conn.executemany("INSERT INTO t VALUES (?)", ((b"x" * 1000,) for _ in range(rows)))


def _backfilled_pages(path) -> int:
    """Pages already copied from the WAL into the database file itself."""
    return path.stat().st_size // 4096


def _wait_for_pages(path, pages) -> int:
    deadline = time.monotonic() + DEADLINE
    while _backfilled_pages(path) < pages and time.monotonic() < deadline:
        time.sleep(0.05)
    return _backfilled_pages(path)


def test_checkpoint_waits_for_enough_rows_then_runs_in_the_background(tmp_path):
    path = tmp_path / "t.db"
    with _checkpointed_writer(path, rows=500, quiet=60) as write:
        write(100)
        time.sleep(0.5)
        assert _backfilled_pages(path) <= 2, "checkpointed before the row threshold"
        write(400)   # 500 rows: due now
        assert _wait_for_pages(path, 100) >= 100, "the WAL was not checkpointed into the database file"


def test_the_writer_no_longer_checkpoints_in_its_commits(tmp_path):
    path = tmp_path / "t.db"
    with _checkpointed_writer(path, rows=10**9, quiet=60) as write:
        write(3000)   # ~750 pages each: past SQLite's own 1000-page threshold
        write(3000)
        assert _backfilled_pages(path) <= 2


def test_a_few_rows_are_checkpointed_after_a_quiet_while(tmp_path):
    path = tmp_path / "t.db"
    with _checkpointed_writer(path, rows=10**9, quiet=0.2) as write:
        write(50)
        assert _wait_for_pages(path, 10) >= 10


def test_the_wal_stays_bounded_while_the_writer_never_pauses(tmp_path):
    """Checkpoints beside the writer never restart a WAL that is always appended to; past the limit
    the writer finishes one itself, so the file stays near the limit (150 MiB without that)."""
    path = tmp_path / "t.db"
    wal = tmp_path / "t.db-wal"
    limit = 2 * 1024 * 1024
    with _checkpointed_writer(path, rows=500, quiet=60, wal_limit=limit) as write:
        largest = 0
        for _ in range(150):   # ~150 MB of rows, no pause between transactions
            write(1000)
            largest = max(largest, wal.stat().st_size)
        assert largest < 4 * limit, f"the WAL grew to {largest / 2**20:.0f} MiB"
