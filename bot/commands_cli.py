"""`teafarm bot`, `teafarm ask "/farm"` and `teafarm up` (bot + local client + copier)."""
from __future__ import annotations

import argparse
import asyncio
import logging
import os
import subprocess
import sys

from teafarm.config import Config, load_config
from teafarm.runtime import setup_logging_from, wait_for_shutdown_signal
from teafarm.typed_config import ConfigError

log = logging.getLogger("teafarm")

STOP_TIMEOUT = 15     # seconds each part (copier, client, bot) gets to stop after SIGTERM


def add_commands(sub, common) -> None:
    bot = sub.add_parser("bot", parents=[common], help="run the chat bot with the monitoring server embedded")
    bot.set_defaults(func=run_bot)
    ask = sub.add_parser("ask", parents=[common], help='answer one bot command from the shell, e.g. teafarm ask "/farm"')
    ask.add_argument("text", help='the command as typed in a chat, e.g. "/missed 7d"')
    ask.set_defaults(func=run_ask)
    up = sub.add_parser("up", parents=[common], help="run bot + client (+ copier when configured) on this machine")
    up.set_defaults(func=run_up)


def run_bot(args: argparse.Namespace) -> int:
    config = load_config(args.config)
    setup_logging_from(config)
    return asyncio.run(_serve(config, with_client=False))


def run_up(args: argparse.Namespace) -> int:
    config = load_config(args.config)
    setup_logging_from(config)
    return asyncio.run(_serve(config, with_client=True))


async def _serve(config: Config, with_client: bool) -> int:
    from bot.app import BotApp  # imported here: every `teafarm` command builds the whole parser

    bot = BotApp(config)
    client = copier = None
    await bot.start()
    try:
        if with_client:
            from monitor.client.app import ClientApp
            client = ClientApp(config)
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


def run_ask(args: argparse.Namespace) -> int:
    from bot import render
    from bot.app import botdb_path, command_context
    from bot.commands.dispatch import Dispatcher
    from bot.transports.base import Incoming

    config = load_config(args.config)
    database = config.data_path(config.server.database, "teafarm.db")
    if not database.is_file():
        raise ConfigError(f"{database}: no farm database yet (start `teafarm bot` or `teafarm up` first)")
    dispatcher = Dispatcher(command_context(database, botdb_path(config), config))
    text = args.text if args.text.startswith(("/", "!")) else "/" + args.text
    try:
        reply = dispatcher.run(Incoming("shell", "shell", "shell", "shell", text, is_dm=True, is_admin=True))
    finally:
        dispatcher.close()
    try:
        print(render.plain(reply), flush=True)
    except BrokenPipeError:       # `teafarm ask /harvesters | head`: the reader has all it wanted
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
    return 0
