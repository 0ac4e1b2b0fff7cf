"""The console: command lines from stdin, replies and alerts as plain text on stdout (charts as PNG
files, their paths printed: bot.transports.image_files).

The default when no chat token is set (`teafarm up` on a fresh machine). stdin is read by a daemon
thread so the event loop never blocks on it; a closed stdin (a service, `< /dev/null`) only ends
the reading, alerts are still printed.
"""
from __future__ import annotations

import asyncio
import getpass
import logging
import sys
import threading
from typing import TextIO

from bot.reply import Reply
from bot.transports.base import CommandHandler, Incoming, Transport, TransportError, answer, command_line
from bot.transports.image_files import plain_with_files

log = logging.getLogger(__name__)


class ConsoleTransport(Transport):
    name = "console"

    def __init__(self, input: TextIO | None = None, output: TextIO | None = None) -> None:
        super().__init__()
        self._input = input if input is not None else sys.stdin     # None when the process has no stdin
        self._output = output if output is not None else sys.stdout
        self._user = _user_name()
        self._tasks: set[asyncio.Task] = set()
        self._reader: asyncio.Task | None = None

    async def start(self, handler: CommandHandler) -> None:
        if self._input is None or self._input.closed:
            log.info("console: no stdin, printing alerts only")
            return
        loop = asyncio.get_running_loop()
        lines: asyncio.Queue[str | None] = asyncio.Queue()
        threading.Thread(target=_read_lines, args=(self._input, loop, lines), name="console-stdin",
                         daemon=True).start()
        if self._input.isatty():
            self._print("teafarm console: type /help (Ctrl-D stops reading commands)")
        self._reader = asyncio.create_task(self._serve(handler, lines))

    async def _serve(self, handler: CommandHandler, lines: asyncio.Queue[str | None]) -> None:
        while (line := await lines.get()) is not None:
            command, _, argument = line.strip().partition(" ")
            if not command:
                continue
            incoming = Incoming(self.name, "console", self._user, self._user, command_line(command, argument),
                                is_dm=True)
            task = asyncio.create_task(self._answer(handler, incoming))
            self._tasks.add(task)          # commands run concurrently: a slow one does not block the next
            task.add_done_callback(self._tasks.discard)
        log.info("console: stdin closed, printing alerts only")

    async def _answer(self, handler: CommandHandler, incoming: Incoming) -> None:
        reply = await answer(handler, incoming)
        try:
            self._print(plain_with_files(reply))
        except TransportError as exc:
            log.warning("console: reply to %r lost: %s", incoming.text, exc)

    async def send_alert(self, reply: Reply) -> None:
        self._print(plain_with_files(reply))

    def _print(self, text: str) -> None:
        try:
            print(text, file=self._output, flush=True)
        except (OSError, ValueError) as exc:     # closed or broken stdout
            self.health.failed(f"console output: {exc}")
            raise TransportError(f"console: cannot write: {exc}") from exc
        self.health.succeeded()

    async def stop(self) -> None:
        pending = [t for t in (self._reader, *self._tasks) if t]
        for task in pending:
            task.cancel()
        await asyncio.gather(*pending, return_exceptions=True)


def _read_lines(stream: TextIO, loop: asyncio.AbstractEventLoop, lines: asyncio.Queue) -> None:
    """Thread body: blocking reads, handed to the loop; None marks the end."""
    try:
        for line in stream:
            loop.call_soon_threadsafe(lines.put_nowait, line)
    except (OSError, ValueError) as exc:
        log.info("console: stdin unreadable: %s", exc)
    finally:
        try:
            loop.call_soon_threadsafe(lines.put_nowait, None)
        except RuntimeError:   # the loop is already closed: nobody is waiting
            pass


def _user_name() -> str:
    try:
        return getpass.getuser()
    except (KeyError, OSError):     # no user name for this uid (some containers)
        return "console"
