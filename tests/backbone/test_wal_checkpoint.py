"""WAL checkpoints run in their own thread once enough rows were written, never in the commit."""
from __future__ import annotations

import sqlite3
import time

from monitor.sqlite_tx import transaction
from monitor.wal_checkpoint import WalCheckpointer

DEADLINE = 10.0


def _writer(path):
    conn = sqlite3.connect(path, isolation_level=None)
    conn.execute("PRAGMA journal_mode = WAL")
    conn.execute("CREATE TABLE t (x BLOB)")
    return conn


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
    conn = _writer(path)
    checkpointer = WalCheckpointer(conn, path, rows=500, quiet=60)
    try:
        _write(conn, checkpointer, 100)
        time.sleep(0.5)
        assert _backfilled_pages(path) <= 2, "checkpointed before the row threshold"
        _write(conn, checkpointer, 400)   # 500 rows: due now
        assert _wait_for_pages(path, 100) >= 100, "the WAL was not checkpointed into the database file"
    finally:
        checkpointer.close()
        conn.close()


def test_the_writer_no_longer_checkpoints_in_its_commits(tmp_path):
    path = tmp_path / "t.db"
    conn = _writer(path)
    checkpointer = WalCheckpointer(conn, path, rows=10**9, quiet=60)
    try:
        _write(conn, checkpointer, 3000)  # ~750 pages: past SQLite's own 1000-page threshold with headers
        _write(conn, checkpointer, 3000)
        assert _backfilled_pages(path) <= 2
    finally:
        checkpointer.close()
        conn.close()


def test_a_few_rows_are_checkpointed_after_a_quiet_while(tmp_path):
    path = tmp_path / "t.db"
    conn = _writer(path)
    checkpointer = WalCheckpointer(conn, path, rows=10**9, quiet=0.2)
    try:
        _write(conn, checkpointer, 50)
        assert _wait_for_pages(path, 10) >= 10
    finally:
        checkpointer.close()
        conn.close()
