"""A stop request that remembers why (SIGTERM from a service manager, Ctrl-C), so the copier can log
it and mark the copies it abandons as interrupted rather than failed."""
from __future__ import annotations

import threading


class StopRequest(threading.Event):
    def __init__(self) -> None:
        super().__init__()
        self.reason = ""

    def request(self, reason: str) -> None:
        """Called from a signal handler: no I/O here (the loop logs it), and set() cannot deadlock as the
        main thread never waits on this event (only move threads do)."""
        if not self.is_set():
            self.reason = reason
        self.set()


def reason_of(stop: threading.Event) -> str:
    return getattr(stop, "reason", "") or "stop requested"
