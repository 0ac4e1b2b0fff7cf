"""Chat text -> the command -> a Reply. Bad input gets one helpful line, never a traceback.

Commands read sqlite, so they run on one worker thread of their own (with its own connections):
a slow query never stalls the event loop that also runs the gRPC server and the transports.
"""
from __future__ import annotations

import asyncio
import logging
import sqlite3
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor

from bot.commands import alerts, buttons, chain, chart, farm, harvesters, jobs, machines, missed, plots, pool, selftest, sql, subscribe
from bot.commands.base import Command, CommandContext, CommandError
from bot.commands.suggest import suggestions
from bot.reply import ErrorReply, Reply, Section
from bot.transports.base import CommandSpec, Incoming

log = logging.getLogger(__name__)


def _help(ctx: CommandContext, args: str, who: Incoming) -> Reply:
    lines = [f"/{c.name}{' ' + c.usage if c.usage else ''}: {c.description}"
             for c in COMMANDS if (not c.admin or who.is_admin) and not c.hidden]
    return Reply("Commands", [Section(lines=lines)])


HELP = Command("help", "What the bot can answer", _help)
COMMANDS: list[Command] = [
    farm.COMMAND, harvesters.COMMAND, missed.COMMAND, chart.COMMAND, machines.MACHINES, machines.DISKS, plots.COMMAND,
    pool.COMMAND, chain.NODE, chain.WALLET, jobs.PLOTTING, jobs.COPY, alerts.ALERTS_COMMAND, alerts.MUTE,
    alerts.UNMUTE, subscribe.SUBSCRIBE, subscribe.UNSUBSCRIBE, selftest.COMMAND, sql.COMMAND, HELP,
]
PRESS = Command("press", "What a button under a message sends", lambda ctx, args, who: buttons.press(ctx, args, who, run_command),
                usage="<action>:<target>", hidden=True)
BY_NAME = {c.name: c for c in [*COMMANDS, PRESS]}


def command_specs() -> list[CommandSpec]:
    """What transports register with their chat (slash commands, Telegram's menu)."""
    return [CommandSpec(c.name, c.description, c.argument, c.usage, c.choices, c.suggest)
            for c in COMMANDS if not c.hidden]


def parse(text: str) -> tuple[str, str]:
    """'/missed 7d', '!missed 7d', '/missed@farm_bot 7d' -> ('missed', '7d')."""
    text = text.strip()
    if text[:1] in ("/", "!"):
        text = text[1:]
    name, _, args = text.partition(" ")
    return name.split("@", 1)[0].lower(), args.strip()


def run_command(ctx: CommandContext, incoming: Incoming) -> Reply:
    name, args = parse(incoming.text)
    if not name:
        return Reply("Type /help for the list of commands.")
    command = BY_NAME.get(name)
    if command is None:
        return ErrorReply(f"Unknown command /{name}: type /help for the list.")
    if command.admin and not incoming.is_admin:
        return ErrorReply(f"/{name} is for admins only.")
    try:
        return command.run(ctx, args, incoming)
    except CommandError as exc:
        return ErrorReply(str(exc))
    except sqlite3.OperationalError as exc:
        log.warning("/%s: database error: %s", name, exc)
        return ErrorReply(f"/{name}: the database is busy or not ready ({str(exc).splitlines()[0]}); try again in a moment.")


class Dispatcher:
    """The one CommandHandler every transport calls."""

    def __init__(self, make_context: Callable[[], CommandContext]) -> None:
        self._make_context = make_context
        self._context: CommandContext | None = None
        self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="commands")

    def run(self, incoming: Incoming) -> Reply:
        """Answer one command (on the calling thread; `teafarm ask` uses this directly)."""
        if self._context is None:
            self._context = self._make_context()
        return run_command(self._context, incoming)

    async def handle(self, incoming: Incoming) -> Reply:
        return await asyncio.get_running_loop().run_in_executor(self._executor, self.run, incoming)

    async def suggest(self, incoming: Incoming, kind: str, typed: str) -> list[str]:
        """Names for autocomplete (on the command thread: they read the databases); [] when that fails."""
        def names() -> list[str]:
            if self._context is None:
                self._context = self._make_context()
            try:
                return suggestions(self._context, kind, typed)
            except sqlite3.Error as exc:
                log.warning("suggestions for %s failed: %s", kind, exc)
                return []
        return await asyncio.get_running_loop().run_in_executor(self._executor, names)

    def close(self) -> None:
        self._executor.shutdown(wait=True)
        if self._context is not None:
            self._context.reader.close()
            self._context.botdb.close()
