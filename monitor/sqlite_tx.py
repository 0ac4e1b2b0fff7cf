"""BEGIN IMMEDIATE ... COMMIT (ROLLBACK on error) for connections in autocommit mode."""
from __future__ import annotations

import sqlite3
from collections.abc import Callable, Iterator
from contextlib import contextmanager


@contextmanager
def transaction(conn: sqlite3.Connection, on_commit: Callable[[], None] | None = None) -> Iterator[None]:
    conn.execute("BEGIN IMMEDIATE")
    try:
        yield
    except BaseException:
        conn.execute("ROLLBACK")
        raise
    conn.execute("COMMIT")
    if on_commit is not None:
        on_commit()
