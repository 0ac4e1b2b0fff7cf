"""`teafarm bot` (the chat bot with the monitoring server embedded) and `teafarm ask "/farm"`."""
from __future__ import annotations

import argparse
import os
import sys

# the work's imports are inside the run functions: `teafarm` builds every subcommand's parser at start


def add_commands(sub, common) -> None:
    bot = sub.add_parser("bot", parents=[common], help="run the chat bot with the monitoring server embedded")
    bot.set_defaults(func=run_bot)
    ask = sub.add_parser("ask", parents=[common], help='answer one bot command from the shell, e.g. teafarm ask "/farm"')
    ask.add_argument("text", help='the command as typed in a chat, e.g. "/missed 7d"')
    ask.set_defaults(func=run_ask)


def run_bot(args: argparse.Namespace) -> int:
    import asyncio

    from teafarm.config import load_config
    from teafarm.runtime import start
    from teafarm.up import serve

    config = load_config(args.config)
    start(config)
    return asyncio.run(serve(config, with_client=False))


def run_ask(args: argparse.Namespace) -> int:
    from bot.app import command_context
    from bot.commands.dispatch import Dispatcher
    from bot.transports.base import Incoming
    from bot.transports.image_files import plain_with_files
    from teafarm.config import load_config
    from teafarm.typed_config import ConfigError

    config = load_config(args.config)
    database = config.server_settings().database
    if not database.is_file():
        raise ConfigError(f"{database}: no farm database yet (start `teafarm bot` or `teafarm up` first)")
    dispatcher = Dispatcher(command_context(database, config.bot.alerts))
    text = args.text if args.text.startswith(("/", "!")) else "/" + args.text
    try:
        reply = dispatcher.run(Incoming("shell", "shell", "shell", "shell", text, is_dm=True, is_admin=True))
    finally:
        dispatcher.close()
    try:
        print(plain_with_files(reply), flush=True)     # charts: written to files, their paths printed
    except BrokenPipeError:       # `teafarm ask /harvesters | head`: the reader has all it wanted
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
    return 0
