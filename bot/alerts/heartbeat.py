"""Watching the watcher: call an outside dead-man's switch (healthchecks.io-style URL) every minute,
so someone notices when the bot itself is down."""
from __future__ import annotations

import logging

import aiohttp

log = logging.getLogger(__name__)


async def ping(url: str, timeout: float = 10.0) -> bool:
    try:
        async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=timeout)) as session:
            async with session.get(url) as response:
                if response.status >= 400:
                    log.warning("heartbeat %s answered HTTP %d", url, response.status)
                    return False
                return True
    except (aiohttp.ClientError, TimeoutError, OSError) as exc:
        log.warning("heartbeat %s failed: %s", url, exc or type(exc).__name__)
        return False
