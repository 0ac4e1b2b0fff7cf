"""`teafarm up`: bot + local client (+ copier when configured) on one machine, the first run of a
new user; `teafarm bot` is the same without the client and the copier."""
from __future__ import annotations

import argparse
import asyncio
import logging
import subprocess
import sys

from teafarm.apps import bot_app, client_app
from teafarm.config import Config, load_config
from teafarm.runtime import setup_logging_from, wait_for_shutdown_signal

log = logging.getLogger("teafarm")

STOP_TIMEOUT = 15     # seconds each part (copier, client, bot) gets to stop after SIGTERM


def add_commands(sub, common) -> None:
    up = sub.add_parser("up", parents=[common], help="run bot + client (+ copier when configured) on this machine")
    up.set_defaults(func=run_up)


def run_up(args: argparse.Namespace) -> int:
    config = load_config(args.config)
    setup_logging_from(config)
    return asyncio.run(serve(config, with_client=True))


async def serve(config: Config, with_client: bool) -> int:
    bot = bot_app(config)
    client = copier = None
    await bot.start()
    try:
        if with_client:
            client = client_app(config)
            await client.start()
            copier = start_copier(config)
        signal_name = await wait_for_shutdown_signal()
        log.info("%s: shutting down", signal_name)
    finally:
        if copier is not None:
            await asyncio.to_thread(stop_copier, copier)
        if client is not None:
            await _bounded(client.stop(), "the client")
        await _bounded(bot.stop(), "the bot")
    return 0


async def _bounded(stopping, what: str) -> None:
    """One part that does not stop in time must not keep the others (and the process) running."""
    try:
        await asyncio.wait_for(stopping, STOP_TIMEOUT)
    except asyncio.TimeoutError:
        log.error("%s did not stop within %d s; exiting anyway", what, STOP_TIMEOUT)


def start_copier(config: Config) -> subprocess.Popen | None:
    """`teafarm copy` as its own process when config.copy has sources and targets (the copier
    owns its signal handling and single-instance lock; a crash of one never takes the other down)."""
    if not (config.copy.sources and config.copy.targets):
        return None
    command = [sys.executable, "-m", "teafarm.cli", "copy"]
    if config.source is not None:
        command += ["--config", str(config.source)]
    log.info("starting the copier: %s", " ".join(command[2:]))
    return subprocess.Popen(command)


def stop_copier(process: subprocess.Popen) -> None:
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(STOP_TIMEOUT)
        except subprocess.TimeoutExpired:
            log.warning("copier did not stop within %d s: killing it", STOP_TIMEOUT)
            process.kill()
            process.wait()
