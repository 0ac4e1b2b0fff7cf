"""For the chat transport tests: a command handler that records what came in, a logging handler that
collects errors (the chat libraries only log exceptions raised in handlers), and run()."""
from __future__ import annotations

import asyncio
import logging

from bot.reply import Reply
from bot.transports.base import Incoming

WATCHED_LOGGERS = ("discord", "telegram", "bot")


class ErrorCollector(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.ERROR)
        self.errors: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.errors.append(f"{record.name}: {record.getMessage()}")

    def add(self, error: str) -> None:
        """For the libraries' own error hooks (PTB error handler, discord on_error)."""
        self.errors.append(error)

    def take(self) -> list[str]:
        """A test that provokes an error on purpose takes it, so teardown does not fail."""
        taken, self.errors = self.errors, []
        return taken


class RecordingHandler:
    """The simple test seam: remembers what came in, answers with a fixed Reply (or raises)."""

    def __init__(self, reply: Reply | None = None) -> None:
        self.reply = reply or Reply.text("Farm OK", "3 harvesters, 0 alerts")
        self.received: list[Incoming] = []
        self.fail = False

    async def __call__(self, incoming: Incoming) -> Reply:
        self.received.append(incoming)
        if self.fail:
            raise RuntimeError("handler bug")
        return self.reply


def run(coro, timeout: float = 20.0):
    """Each test is one asyncio.run with a generous deadline (no pytest-asyncio needed)."""
    return asyncio.run(asyncio.wait_for(coro, timeout))
