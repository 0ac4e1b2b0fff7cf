"""The seam between chat transports and the command layer.

A transport turns what a chat user typed into an `Incoming`, hands it to the one `CommandHandler`,
renders the `Reply` for its chat and sends it; it also delivers alerts. Everything above this seam
(commands, alert engine, outbox) is transport-neutral.
"""
from __future__ import annotations

import logging
import time
from abc import ABC, abstractmethod
from dataclasses import dataclass
from typing import Awaitable, Callable

from bot.reply import Reply

log = logging.getLogger(__name__)


@dataclass
class Incoming:
    """One command as a user typed it, whatever the chat."""
    transport: str                 # "discord", "telegram", "console"
    chat_id: str                   # channel / chat the command came from (snowflakes kept as text)
    user_id: str
    user_name: str
    text: str                      # normalised to "/command args", e.g. "/missed 24h"
    is_dm: bool = False            # a direct message to the bot rather than a shared channel
    is_admin: bool = False         # filled by bot.access.guarded: may use admin commands (/sql)


CommandHandler = Callable[[Incoming], Awaitable[Reply]]


@dataclass(frozen=True)
class CommandSpec:
    """What a transport registers with its chat (slash commands, Telegram's command menu)."""
    name: str                      # lowercase, no slash: "missed"
    description: str               # one line shown in the chat's command picker
    argument: str = ""             # name of the one optional free-text argument ("window"); "" = none
    argument_description: str = ""


class TransportError(Exception):
    """A transport could not deliver; the caller keeps the alert and retries later."""


@dataclass
class Health:
    """Consecutive failures of one transport, so the bot can say when one keeps failing."""
    failures: int = 0
    last_error: str = ""
    last_error_at: float | None = None   # time.time() of the last failure

    @property
    def healthy(self) -> bool:
        return self.failures == 0

    def succeeded(self) -> None:
        self.failures = 0

    def failed(self, error: str) -> None:
        self.failures += 1
        self.last_error = error
        self.last_error_at = time.time()


class Transport(ABC):
    name: str = ""

    def __init__(self) -> None:
        self.health = Health()

    @property
    def healthy(self) -> bool:
        return self.health.healthy

    @abstractmethod
    async def start(self, handler: CommandHandler) -> None:
        """Connect and start delivering commands to `handler`; raises TransportError if it cannot."""

    @abstractmethod
    async def send_alert(self, reply: Reply) -> None:
        """Deliver to every configured alert destination; raises TransportError when it could not."""

    @abstractmethod
    async def stop(self) -> None:
        """Disconnect; safe to call when start failed or never ran."""


def command_line(command: str, argument: str = "") -> str:
    """The one spelling every transport hands on: "/missed 24h" (command lowercase, no prefix)."""
    argument = argument.strip()
    return "/" + command.lstrip("/").lower() + (" " + argument if argument else "")


INTERNAL_ERROR = Reply("internal error, see the bot log", severity="warning")


async def answer(handler: CommandHandler, incoming: Incoming) -> Reply:
    """Run the handler; a bug in it becomes one line for the user and a full entry in the log."""
    try:
        return await handler(incoming)
    except Exception:
        log.exception("command %r from %s user %s failed", incoming.text, incoming.transport, incoming.user_id)
        return INTERNAL_ERROR
