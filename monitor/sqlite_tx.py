"""BEGIN IMMEDIATE ... COMMIT (ROLLBACK on error) for connections in autocommit mode, and database
files private to their owner."""
from __future__ import annotations

import os
import sqlite3
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path


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


def create_private(path: Path) -> None:
    """Create the database file 0600 if it is missing (readable by its owner only: the farm's layout
    and wallet figures), whatever the umask; sqlite gives its -wal and -shm files the database file's
    mode. An existing file is never opened: closing any descriptor of a file drops the process's
    POSIX locks on it, those of its sqlite connections too."""
    try:
        os.close(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600))
    except FileExistsError:
        pass


def file_identity(path: Path) -> tuple[int, int] | None:
    """The file at `path` (device, inode); None when there is none."""
    try:
        info = os.stat(path)
    except (FileNotFoundError, NotADirectoryError):
        return None
    return info.st_dev, info.st_ino
