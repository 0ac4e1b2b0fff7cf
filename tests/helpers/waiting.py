"""Polling until something holds: `wait_until` for plain tests, `wait_until_async` inside an event loop
(it awaits between polls, so the servers and clients on that loop keep running)."""
from __future__ import annotations

import asyncio
import sqlite3
import time
from collections.abc import Callable


def _described(what: str | Callable[[], str]) -> str:
    return what() if callable(what) else what


def wait_until(predicate: Callable[[], object], timeout: float = 30, what: str | Callable[[], str] = "condition",
               interval: float = 0.2):
    """Poll `predicate` every `interval` s until it returns something truthy, and return that; fail with
    `what` (a text, or a function giving one at the time of failure) after `timeout` s. A database that
    is not created yet (sqlite3.OperationalError) counts as not yet."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            value = predicate()
        except sqlite3.OperationalError:  # the database is not created yet
            value = None
        if value:
            return value
        time.sleep(interval)
    raise AssertionError(f"timed out after {timeout:g} s waiting for {_described(what)}")


async def wait_until_async(predicate: Callable[[], object], timeout: float = 30,
                           what: str | Callable[[], str] = "condition", interval: float = 0.2):
    """`wait_until` for code running on an event loop: sleeps with asyncio between polls."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if loop.time() >= deadline:
            raise AssertionError(f"timed out after {timeout:g} s waiting for {_described(what)}")
        await asyncio.sleep(interval)
