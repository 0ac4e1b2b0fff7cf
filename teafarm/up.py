"""`teafarm up`: bot + local client (+ copier when configured) on one machine, the first run of a
new user; `teafarm bot` is the same without the client and the copier (their command lines:
teafarm/commands/up.py and bot.py)."""
from __future__ import annotations

import asyncio
import logging
import subprocess
import sys

from teafarm.apps import bot_app, client_app
from teafarm.config import Config, load_config
from teafarm.runtime import run_until_stopped, start

log = logging.getLogger("teafarm")

STOP_TIMEOUT = 15     # seconds each part (copier, client, bot) gets to stop after SIGTERM


def run_up(config_path: str | None) -> int:
    config = load_config(config_path)
    user_umask = start(config)
    return asyncio.run(serve(config, with_client=True, copier_umask=user_umask))


async def serve(config: Config, with_client: bool, copier_umask: int = -1) -> int:
    bot = bot_app(config)
    client = copier = None
    await bot.start()
    try:
        if with_client:
            client = client_app(config)
            await client.start()
            copier = start_copier(config, copier_umask)
        # no supervisor restarts a part here: a server that cannot go on (its database lost) stops it all
        status = await run_until_stopped(bot.server.failure())
    finally:
        if copier is not None:
            await asyncio.to_thread(stop_copier, copier)
        if client is not None:
            await _bounded(client.stop(), "the client")
        await _bounded(bot.stop(), "the bot")
    return status


async def _bounded(stopping, what: str) -> None:
    """One part that does not stop in time must not keep the others (and the process) running."""
    try:
        await asyncio.wait_for(stopping, STOP_TIMEOUT)
    except asyncio.TimeoutError:
        log.error("%s did not stop within %d s; exiting anyway", what, STOP_TIMEOUT)


def start_copier(config: Config, umask: int = -1) -> subprocess.Popen | None:
    """`teafarm copy` as its own process when config.copy has sources and targets (the copier
    owns its signal handling and single-instance lock; a crash of one never takes the other down).
    `umask`: the user's, not ours (the plots must stay readable by chia; -1: inherit)."""
    if not (config.copy.sources and config.copy.targets):
        return None
    command = [sys.executable, "-m", "teafarm.cli", "copy"]
    if config.source is not None:
        command += ["--config", str(config.source)]
    log.info("starting the copier: %s", " ".join(command[2:]))
    return subprocess.Popen(command, umask=umask)


def stop_copier(process: subprocess.Popen) -> None:
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(STOP_TIMEOUT)
        except subprocess.TimeoutExpired:
            log.warning("copier did not stop within %d s: killing it", STOP_TIMEOUT)
            process.kill()
            process.wait()
