"""The seam between chat transports and the command layer.

A transport turns what a chat user typed into an `Incoming`, hands it to the one `CommandHandler`,
renders the `Reply` for its chat and sends it; it also delivers alerts, one `Destination` at a time
(`send_to`: a channel or chat it is configured with, a user's direct message, an Apprise URL).
Everything above this seam (commands, alert engine, outbox) is transport-neutral.

Two things every transport shares live here, so each chat library only has to report what happened:
- staying connected (`Transport.keep_connected`): a start that fails, or a connection the library
  gives up on, is tried again with `Backoff` for as long as the bot runs (a bot booted before the
  network, a Discord or Telegram outage);
- rate limits (`RateLimited`, `Transport.send_patiently`): a 429 is waited out for as long as the
  chat asks, for replies and alerts alike.
"""
from __future__ import annotations

import asyncio
import hashlib
import logging
import time
from abc import ABC, abstractmethod
from dataclasses import dataclass
from typing import Awaitable, Callable

from bot.reply import ErrorReply, Reply

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
Suggester = Callable[[Incoming, str, str], Awaitable[list[str]]]   # (who is typing, what kind, typed so far) -> names


async def no_suggestions(incoming: Incoming, kind: str, typed: str) -> list[str]:
    return []


@dataclass(frozen=True)
class CommandSpec:
    """What a transport registers with its chat (slash commands, Telegram's command menu)."""
    name: str                      # lowercase, no slash: "missed"
    description: str               # one line shown in the chat's command picker
    argument: str = ""             # name of the one optional free-text argument ("window"); "" = none
    argument_description: str = ""
    choices: tuple[str, ...] = ()  # the argument's only values, offered as a list (Discord choices)
    suggest: str = ""              # what to suggest as the argument is typed ("machine", "target", ...: autocomplete)


class TransportError(Exception):
    """A transport could not deliver; the caller keeps the alert and retries later."""


class RateLimited(TransportError):
    """The chat answered 429: nothing is wrong with it, it wants `retry_after` seconds before the next message."""

    def __init__(self, message: str, retry_after: float) -> None:
        super().__init__(message)
        self.retry_after = max(0.0, float(retry_after))


class Refused(TransportError):
    """The chat refused the configuration (a wrong token, a missing intent): trying again cannot help."""


class Unreachable(TransportError):
    """The platform will not open this user's direct message (the user never started the Telegram bot,
    shares no server with the Discord bot, or blocked it); the message says what the user can do."""


SEVERITY_RANK = {"critical": 2, "warning": 1, "info": 0, "ok": 0}   # "ok" (recoveries) counts as info
MIN_SEVERITIES = ("critical", "warning", "info")


@dataclass(frozen=True)
class Destination:
    """One place alerts go: a chat channel, a user's direct message or an Apprise URL, with the least
    severity it wants. The outbox records delivery per destination under `key`."""
    transport: str                 # the transport that reaches it: "discord", "telegram", "console", "apprise"
    address: str = ""              # channel / chat id, the user id of a direct message, the Apprise URL; "" = the transport's one place
    direct: bool = False           # a user's direct message (address is the user id)
    min_severity: str = "info"
    label: str = ""                # how logs and /test name it (secrets masked); "" = from the fields
    since: float = 0.0             # outbox rows queued before this time are not owed to it (a new subscription)

    @property
    def key(self) -> str:
        """Stable across restarts; an Apprise URL's key is a hash (bot.db never holds its secrets)."""
        if not self.address:
            return self.transport
        if self.transport == "apprise":
            return "apprise:" + hashlib.sha256(self.address.encode()).hexdigest()[:16]
        return f"{self.transport}:{'dm:' if self.direct else ''}{self.address}"

    @property
    def name(self) -> str:
        if self.label:
            return self.label
        if not self.address:
            return self.transport
        return f"{self.transport} {'direct message to user' if self.direct else 'chat'} {self.address}"

    def wants(self, severity: str) -> bool:
        return SEVERITY_RANK.get(severity, 0) >= SEVERITY_RANK[self.min_severity]


REPLY_PATIENCE = 14 * 60.0   # seconds a command reply may wait out 429s (Discord's interaction token lasts 15 min)
ALERT_PATIENCE = 60.0        # seconds an alert waits out 429s in place; a longer wait goes back to the outbox
                             # (so the delivery of the other transports is never held longer than this)


@dataclass(frozen=True)
class Backoff:
    """Seconds between connection attempts: `first`, doubling up to `most`. A connection that stayed up
    for `most` seconds starts the next series from `first` again (one that drops at once backs off)."""
    first: float = 2.0
    most: float = 300.0

    def delay(self, failures: int) -> float:
        return min(self.first * 2 ** max(failures - 1, 0), self.most)


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


Sleep = Callable[[float], Awaitable[object]]


class Transport(ABC):
    name: str = ""

    def __init__(self, backoff: Backoff = Backoff(), sleep: Sleep = asyncio.sleep) -> None:
        """`backoff` between connection attempts and `sleep` for rate-limit waits: tests shorten the one
        and pass a recording, instant `sleep` for the other."""
        self.health = Health()
        self.suggest: Suggester = no_suggestions   # autocomplete; the bot sets its access-checked one
        self.backoff = backoff
        self.sleep = sleep
        self.waiting_first = False     # kept connected but never reached yet: its alerts wait, uncounted
        self.ups = 0                   # times the chat came (back) up: delivery retries at once after one
        self._up = False
        self._lost = asyncio.Event()
        self._lost_reason = ""
        self._stopping = asyncio.Event()
        self._keeper: asyncio.Task | None = None

    @property
    def healthy(self) -> bool:
        return self.health.healthy

    @property
    def is_up(self) -> bool:
        return self._up

    @abstractmethod
    async def start(self, handler: CommandHandler) -> None:
        """One attempt: connect and start delivering commands to `handler`; raises TransportError if it
        cannot (Refused when trying again cannot help). `keep_connected` calls it again after `stop()`."""

    @abstractmethod
    async def send_alert(self, reply: Reply) -> None:
        """Deliver to every configured alert destination; raises TransportError when it could not
        (RateLimited when the chat asked for a longer pause than ALERT_PATIENCE)."""

    @abstractmethod
    async def stop(self) -> None:
        """Disconnect; safe to call when start failed or never ran."""

    def alert_destinations(self) -> list[Destination]:
        """Where this transport sends alerts by configuration (channels, chats, URLs); by default its one
        place (the console prints them)."""
        return [Destination(self.name)]

    async def send_to(self, destination: Destination, reply: Reply) -> None:
        """Deliver one alert to one destination (one of `alert_destinations()`, or a user's direct
        message); raises like `send_alert`, and Unreachable when a direct message cannot be opened.
        By default the transport's one place."""
        if destination.direct:
            raise Unreachable(f"{self.name} has no direct messages")
        await self.send_alert(reply)

    # ---- staying connected ------------------------------------------------------------------------

    def keep_connected(self, handler: CommandHandler) -> asyncio.Task:
        """Start in the background and stay connected for as long as the bot runs: a failed start and a
        connection the library gave up on (`lost`) are tried again after `backoff`. In-session drops
        stay with the chat library (discord.py resumes, PTB polls again). Until the first start
        succeeds, `waiting_first` tells the alert delivery that this chat is not failing, only not
        reached yet."""
        self.waiting_first = True
        self._keeper = asyncio.create_task(self._keep(handler), name=f"{self.name}-connection")
        return self._keeper

    async def _keep(self, handler: CommandHandler) -> None:
        loop = asyncio.get_running_loop()
        failures = 0
        while True:
            self._lost.clear()
            try:
                await self.start(handler)
            except Refused as exc:
                self.waiting_first = False     # a real failure: delivery counts it, the other chats say so
                self._up = False
                log.error("%s (not tried again: fix the configuration and restart the bot)", exc)
                return
            except TransportError as exc:
                failures += 1
                reason = str(exc)
            except Exception as exc:          # a bug on the way in must not end the trying
                log.exception("%s: start failed", self.name)
                failures += 1
                reason = f"{self.name}: start failed: {type(exc).__name__}"
            else:
                self.waiting_first = False
                self.came_up()
                up_since = loop.time()
                await self._lost.wait()
                if loop.time() - up_since >= self.backoff.most:
                    failures = 0
                failures += 1
                reason = self._lost_reason
            delay = self.backoff.delay(failures)
            log.warning("%s; trying again in %g s", reason, delay)
            try:
                await self.stop()              # what the failed or lost attempt left behind
            except Exception:
                log.warning("%s: cleaning up after a failed connection failed", self.name, exc_info=True)
            await asyncio.sleep(delay)

    def came_up(self) -> None:
        """For transports: the chat answers (again), e.g. the gateway is ready or a poll succeeded."""
        if not self._up:
            self._up = True
            self.ups += 1
        self.health.succeeded()

    def went_down(self, reason: str) -> None:
        """For transports: the chat stopped answering; the library is trying to get it back."""
        self._up = False
        self.health.failed(reason)

    def lost(self, reason: str) -> None:
        """For transports: the connection ended and the library will not bring it back; the keeper will."""
        self.went_down(reason)
        self._lost_reason = reason
        self._lost.set()

    async def close(self) -> None:
        """Stop for good: no more reconnecting, rate-limit waits cut short, then `stop()`."""
        self._stopping.set()
        if self._keeper is not None:
            self._keeper.cancel()
            await asyncio.gather(self._keeper, return_exceptions=True)
        await self.stop()

    # ---- rate limits ------------------------------------------------------------------------------

    async def send_patiently(self, send: Callable[[], Awaitable[object]], patience: float) -> None:
        """Run `send` (one message, raising RateLimited on a 429) until the chat takes it, waiting each
        time as long as the chat asks, up to `patience` seconds in all; past that, or when the
        transport is closing, the RateLimited is raised."""
        waited = 0.0
        while True:
            try:
                await send()
                return
            except RateLimited as exc:
                if waited + exc.retry_after > patience or self._stopping.is_set():
                    raise
                log.info("%s: rate limited, sending again in %g s", self.name, exc.retry_after)
                if not await self._pause(exc.retry_after):
                    raise
                waited += exc.retry_after

    async def _pause(self, seconds: float) -> bool:
        """Sleep `seconds`; False when the transport started closing meanwhile."""
        sleeping = asyncio.ensure_future(self.sleep(seconds))
        stopping = asyncio.ensure_future(self._stopping.wait())
        try:
            await asyncio.wait({sleeping, stopping}, return_when=asyncio.FIRST_COMPLETED)
        finally:
            sleeping.cancel()
            stopping.cancel()
        return not self._stopping.is_set()


class ConfiguredTransport(Transport):
    """A transport whose alerts go to the destinations its configuration lists (`_destinations`:
    chat channels, Apprise URLs); `send_alert` sends to each in turn."""
    _destinations: list[Destination]

    def alert_destinations(self) -> list[Destination]:
        return list(self._destinations)

    async def send_alert(self, reply: Reply) -> None:
        for destination in self._destinations:
            await self.send_to(destination, reply)


def command_line(command: str, argument: str = "") -> str:
    """The one spelling every transport hands on: "/missed 24h" (command lowercase, no prefix)."""
    argument = argument.strip()
    return "/" + command.lstrip("/").lower() + (" " + argument if argument else "")


def rest_of(command: str) -> str:
    """The last line of a Refreshed message whose fresh answer needs more than one message: a press
    edits one message, and posting the rest under it on every press would pile up copies."""
    return f"\N{HORIZONTAL ELLIPSIS} {command} for the rest"


INTERNAL_ERROR = ErrorReply("internal error, see the bot log", severity="warning")


async def answer(handler: CommandHandler, incoming: Incoming) -> Reply:
    """Run the handler; a bug in it becomes one line for the user and a full entry in the log."""
    try:
        return await handler(incoming)
    except Exception:
        log.exception("command %r from %s user %s failed", incoming.text, incoming.transport, incoming.user_id)
        return INTERNAL_ERROR
