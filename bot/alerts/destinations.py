"""Where alerts go: the destinations the transports are configured with (channels, chats, Apprise URLs),
plus the users who asked (/subscribe) for alerts in their direct messages (table `subscriptions` in
bot.db); and `Outlets`, through which commands on the command thread reach them (/test, the
/subscribe greeting) on the bot's event loop."""
from __future__ import annotations

import asyncio
import logging
import sqlite3
from collections.abc import Coroutine, Iterable
from typing import Any

from bot.alerts.outbox import enqueue
from bot.reply import Reply, Section
from bot.transports.base import Destination, Transport, TransportError
from monitor.sqlite_tx import transaction

log = logging.getLogger(__name__)

SEND_TIMEOUT = 20.0          # seconds a /test or /subscribe send may take (commands wait on one thread meanwhile)


def current(transports: Iterable[Transport], botdb: sqlite3.Connection) -> list[Destination]:
    """Every destination now: the configured ones, then the subscribed direct messages."""
    transports = list(transports)
    names = {t.name for t in transports}
    return [d for t in transports for d in t.alert_destinations()] + [d for d in subscribed(botdb) if d.transport in names]


def subscribe(conn: sqlite3.Connection, transport: str, user_id: str, min_severity: str, now: float) -> None:
    """Add or change a subscription; a new one is owed only the alerts queued from now on."""
    with transaction(conn):
        conn.execute("INSERT INTO subscriptions (transport, user_id, min_severity, since) VALUES (?, ?, ?, ?) "
                     "ON CONFLICT (transport, user_id) DO UPDATE SET min_severity = excluded.min_severity",
                     (transport, user_id, min_severity, now))


def unsubscribe(conn: sqlite3.Connection, transport: str, user_id: str) -> bool:
    with transaction(conn):
        return conn.execute("DELETE FROM subscriptions WHERE transport = ? AND user_id = ?",
                            (transport, user_id)).rowcount > 0


def subscribed(conn: sqlite3.Connection) -> list[Destination]:
    return [Destination(r["transport"], r["user_id"], direct=True, min_severity=r["min_severity"], since=r["since"])
            for r in conn.execute("SELECT * FROM subscriptions ORDER BY transport, user_id")]


def queue_startup_message(botdb: sqlite3.Connection, destinations: list[Destination], version: str, now: float) -> None:
    """The optional "bot started" note: silent, to the chat channels only (not an alert: no Apprise,
    no direct messages), through the outbox so a chat reached late still gets it."""
    chats = [d for d in destinations if not d.direct and d.transport != "apprise"]
    if not chats:
        return
    where = ", ".join(d.name for d in destinations)
    reply = Reply(f"teafarm bot {version} started", [Section(lines=[f"alerts go to: {where}", "/help lists the commands"])],
                  "info", silent=True)
    with transaction(botdb):
        enqueue(botdb, reply, "", "startup", now, now, only_to=[d.key for d in chats])


class Outlets:
    """The running bot's transports, for commands (which run on the command thread)."""

    def __init__(self, transports: list[Transport]) -> None:
        self.transports = {t.name: t for t in transports}
        self.loop: asyncio.AbstractEventLoop | None = None     # set when the bot runs

    def run(self, coroutine: Coroutine[Any, Any, Any]) -> Any:
        """Run `coroutine` on the bot's event loop and wait for it (from the command thread)."""
        return asyncio.run_coroutine_threadsafe(coroutine, self.loop).result(SEND_TIMEOUT + 5)

    async def send(self, destination: Destination, reply: Reply) -> str | None:
        """None when `destination` took `reply`, else why not: one line, secrets masked (for a direct
        message the platform will not open, what the user can do about it)."""
        transport = self.transports.get(destination.transport)
        if transport is None:
            return f"no {destination.transport} transport is running"
        try:
            async with asyncio.timeout(SEND_TIMEOUT):     # not wait_for: on 3.11 it can swallow a cancellation
                await transport.send_to(destination, reply)
        except TransportError as exc:
            return str(exc)
        except TimeoutError:
            return f"no answer within {SEND_TIMEOUT:.0f} s"
        except Exception as exc:        # a transport bug: one line here, the traceback in the log
            log.exception("%s: sending failed", destination.name)
            return f"internal error: {type(exc).__name__}"
        return None

    async def test_all(self, destinations: list[Destination], reply: Reply) -> list[tuple[Destination, str | None]]:
        """`reply` to every destination at once; each with None (it worked) or why it failed."""
        problems = await asyncio.gather(*(self.send(d, reply) for d in destinations))
        return list(zip(destinations, problems))
