"""WAL checkpoints run in their own thread once enough rows were written, never in the commit."""
from __future__ import annotations

import sqlite3
import time

from monitor.wal_checkpoint import WalCheckpointer

DEADLINE = 10.0


def _writer(path):
    conn = sqlite3.connect(path, isolation_level=None)
    conn.execute("PRAGMA journal_mode = WAL")
    conn.execute("PRAGMA wal_autocheckpoint = 0")
    conn.execute("CREATE TABLE t (x BLOB)")
    return conn


def _write(conn, rows):
    conn.execute("BEGIN")
    conn.executemany("INSERT INTO t VALUES (?)", ((b"x" * 1000,) for _ in range(rows)))
    conn.execute("COMMIT")


def _backfilled_pages(path) -> int:
    """Pages of table t already copied from the WAL into the database file itself."""
    return path.stat().st_size // 4096


def test_checkpoint_waits_for_enough_rows_then_runs_in_the_background(tmp_path):
    path = tmp_path / "t.db"
    conn = _writer(path)
    checkpointer = WalCheckpointer(path, rows=500, quiet=60)
    try:
        _write(conn, 100)
        checkpointer.committed(conn.total_changes)
        time.sleep(0.5)
        assert _backfilled_pages(path) <= 2, "checkpointed before the row threshold"
        _write(conn, 400)
        checkpointer.committed(conn.total_changes)  # 500 rows: due now
        deadline = time.monotonic() + DEADLINE
        while _backfilled_pages(path) < 100 and time.monotonic() < deadline:
            time.sleep(0.05)
        assert _backfilled_pages(path) >= 100, "the WAL was not checkpointed into the database file"
    finally:
        checkpointer.close()
        conn.close()


def test_a_few_rows_are_checkpointed_after_a_quiet_while(tmp_path):
    path = tmp_path / "t.db"
    conn = _writer(path)
    checkpointer = WalCheckpointer(path, rows=1_000_000, quiet=0.2)
    try:
        _write(conn, 50)
        checkpointer.committed(conn.total_changes)
        deadline = time.monotonic() + DEADLINE
        while _backfilled_pages(path) < 10 and time.monotonic() < deadline:
            time.sleep(0.05)
        assert _backfilled_pages(path) >= 10
    finally:
        checkpointer.close()
        conn.close()
