"""One copier per status file: two would race for the same plots and overwrite each other's status."""
from __future__ import annotations

import os
from pathlib import Path


class AlreadyRunning(Exception):
    """Another `teafarm copy` holds the lock; the message names the lock file."""


class SingleInstance:
    """An exclusive lock on `<status file>.lock`, released when the process ends (even by kill -9).
    Where fcntl does not exist (Windows) there is no lock."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._fd: int | None = None

    def __enter__(self) -> "SingleInstance":
        try:
            import fcntl
        except ImportError:
            return self
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o644)
        try:
            fcntl.flock(self._fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(self._fd)
            self._fd = None
            raise AlreadyRunning(f"another teafarm copy is running here (it holds {self.path})") from None
        return self

    def __exit__(self, *exc) -> None:
        if self._fd is not None:
            os.close(self._fd)
            self._fd = None
