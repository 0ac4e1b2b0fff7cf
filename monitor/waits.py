"""Waiting with a time limit without losing a cancellation.

On Python 3.11, `asyncio.wait_for` returns the result when its caller is cancelled at the moment the
awaited thing completes: the cancellation is swallowed (fixed in 3.12), and a loop that waits that
way misses its stop and runs on, so the process never exits. `asyncio.timeout` does not have the flaw.
"""
from __future__ import annotations

import asyncio


async def wait_event(event: asyncio.Event, timeout: float) -> bool:
    """Whether `event` is set within `timeout` seconds."""
    try:
        async with asyncio.timeout(timeout):
            await event.wait()
    except TimeoutError:
        return False
    return True
