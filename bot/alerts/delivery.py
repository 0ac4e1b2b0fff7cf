"""Delivery: outbox rows -> every destination that wants them, at least once.

A destination is a chat channel, a user's direct message (/subscribe) or an Apprise URL, each with
the least severity it wants (`bot.transports.base.Destination`). A row is marked delivered for a
destination right after that destination accepted it, so a crash in between repeats that one
message there and nothing else. Ready alerts of one machine go out as one message. Each destination
is served by its own task, at most one at a time per destination (so it gets each row once), and a
round starts tasks only for the idle ones: one that is slow to answer (an Apprise URL that does not,
a 429 waited out in place) delays neither the others' current alerts nor their next ones. A destination
that keeps failing is retried with backoff (at once when its transport reports that it is back up)
and the other transports say so (and say when it works again). A transport not reached yet since
the bot started is not failing: its alerts wait, uncounted. A 429 is not a failure either: the next
try waits as long as the chat asked. A message that goes out more than LATE seconds after it
happened (an outage, a restart, quiet hours) says when it happened. Only critical and warning
alerts make a sound: info, news and recoveries go silently, at any hour. A subscriber the platform
no longer lets the bot write to (who blocked it, or left its servers) is unsubscribed.
"""
from __future__ import annotations

import asyncio
import logging
import sqlite3
import time
from collections.abc import Callable
from concurrent.futures import Executor
from dataclasses import dataclass, replace

from bot.alerts.messages import dated, merged
from bot.alerts.outbox import close_unowed, enqueue, mark_delivered, owes, ready
from bot.alerts.settings import AlertSettings
from bot.alerts.destinations import current, unsubscribe
from bot.reply import Reply
from bot.transports.base import Backoff, Destination, RateLimited, Transport, TransportError, Unreachable
from monitor.sqlite_tx import transaction

log = logging.getLogger(__name__)

RETRY_FIRST = 5.0      # seconds between tries of a failing destination: first, doubling up to RETRY_MAX
RETRY_MAX = 300.0
LATE = 60.0            # seconds after its event (or its queueing) from which a message says when it happened
AUDIBLE = ("critical", "warning")


@dataclass
class _Failing:
    failures: int = 0
    retry_at: float = 0.0
    ups: int = 0                   # the transport's `ups` at the last failure: one more means it is back, try now
    wait_until: float = 0.0        # the chat asked for a pause (429): honoured whatever else happens


class Delivery:
    def __init__(self, botdb: sqlite3.Connection, transports: list[Transport], settings: AlertSettings,
                 clock: Callable[[], float] = time.time, on_sent: Callable[[list[sqlite3.Row]], None] | None = None,
                 executor: Executor | None = None, on_progress: Callable[[], None] | None = None) -> None:
        self.botdb = botdb
        self.executor = executor          # where sqlite work runs (None: on the caller's thread)
        self.transports = {t.name: t for t in transports}
        self.settings = settings
        self.clock = clock
        self.on_sent = on_sent            # the latency bench watches sends through this
        self.failing: dict[str, _Failing] = {}   # by destination key
        self.noticed: dict[str, str] = {}         # transport -> the destination whose failures the others were told
        self.on_progress = on_progress    # a destination sent something: what queued meanwhile is worth a look now
        self._busy: dict[str, asyncio.Task[int]] = {}    # destination key -> its send task in flight
        self._starting = asyncio.Lock()   # two rounds must not both find a destination idle

    def destinations(self) -> list[Destination]:
        """Every current destination: the configured ones, then the subscribed direct messages."""
        return current(self.transports.values(), self.botdb)

    def failures(self, transport: str) -> int:
        """Consecutive failures of the transport's worst destination (0: none failing)."""
        return max((s.failures for key, s in self.failing.items() if key.split(":")[0] == transport), default=0)

    async def deliver(self) -> int:
        """One round, waited for: send what is ready to every idle destination; returns how many
        messages went out (over all destinations)."""
        return sum(await asyncio.gather(*await self.dispatch()))

    async def dispatch(self) -> list[asyncio.Task[int]]:
        """Start sending what is ready to every destination not still busy with an earlier send, and
        return at once with the started tasks: the bot's delivery loop does not wait for them."""
        async with self._starting:
            now = self.clock()
            destinations = await self._db(self.destinations)
            # idle ones chosen BEFORE reading the rows: a send that ends meanwhile has recorded its rows
            idle = [d for d in destinations if d.key not in self._busy]
            rows = await self._db(ready, self.botdb, now)
            if not rows:
                return []
            await self._db(close_unowed, self.botdb, rows, destinations)
            groups = self._groups(rows)
            started = []
            for destination in idle:
                if any(owes(r, destination) for r in rows):
                    task = asyncio.create_task(self._serve(destination, groups, destinations, now))
                    self._busy[destination.key] = task
                    started.append(task)
            return started

    async def stop(self) -> None:
        """Cancel the sends in flight (one accepted but not yet recorded goes out again after a restart)."""
        tasks = list(self._busy.values())
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)

    async def _serve(self, destination: Destination, groups: list[list[sqlite3.Row]],
                     destinations: list[Destination], now: float) -> int:
        try:
            sent = await self._deliver_to(destination, groups, destinations, now)
        except Exception:       # the outbox keeps the rows: the next round tries again
            log.exception("%s: alert delivery failed", destination.name)
            sent = 0
        finally:
            del self._busy[destination.key]
        if sent and self.on_progress:
            self.on_progress()
        return sent

    async def _deliver_to(self, destination: Destination, groups: list[list[sqlite3.Row]],
                          destinations: list[Destination], now: float) -> int:
        sent = 0
        for group in groups:
            owed = [r for r in group if owes(r, destination)]
            if owed and await self._send(destination, owed, destinations, now):
                sent += 1
        return sent

    async def _send(self, destination: Destination, owed: list[sqlite3.Row], destinations: list[Destination],
                    now: float) -> bool:
        transport = self.transports[destination.transport]
        state = self.failing.setdefault(destination.key, _Failing())
        if transport.waiting_first or state.wait_until > now:
            return False
        if state.retry_at > now and transport.ups == state.ups:
            return False
        reply = merged(owed[0]["machine"], [_as_sent(r, now) for r in owed])
        if reply.severity not in AUDIBLE:
            reply = replace(reply, silent=True)
        try:
            await transport.send_to(destination, reply)
        except RateLimited as exc:
            state.wait_until = now + exc.retry_after
            log.info("%s asks to wait %.0f s before the next alert", destination.name, exc.retry_after)
            return False
        except Unreachable as exc:      # the user blocked the bot or left its servers: retrying cannot help
            log.warning("%s: ending the subscription: %s", destination.name, exc)
            await self._db(unsubscribe, self.botdb, destination.transport, destination.address)
            return False
        except TransportError as exc:
            state.ups = transport.ups
            await self._db(self._failed, destination, str(exc), destinations, now)
            return False
        except Exception as exc:  # a transport bug must not stop the other destinations
            log.exception("%s: sending an alert failed", destination.name)
            state.ups = transport.ups
            await self._db(self._failed, destination, f"internal error: {type(exc).__name__}", destinations, now)
            return False
        await self._db(self._mark, [r["id"] for r in owed], destination, destinations)
        if self.on_sent:
            self.on_sent(owed)
        await self._db(self._succeeded, destination, destinations, now)
        return True

    async def _db(self, function, *args):
        if self.executor is None:
            return function(*args)
        return await asyncio.get_running_loop().run_in_executor(self.executor, function, *args)

    def _mark(self, ids: list[int], destination: Destination, destinations: list[Destination]) -> None:
        with transaction(self.botdb):
            mark_delivered(self.botdb, ids, destination, destinations)

    @staticmethod
    def _groups(rows: list[sqlite3.Row]) -> list[list[sqlite3.Row]]:
        """Ready rows of one machine go out together (the engine announces alerts of one cause
        together); farm-wide rows alone."""
        by_machine: dict[str, list[sqlite3.Row]] = {}
        groups = []
        for row in rows:
            if row["machine"] and not row["only_to"]:
                by_machine.setdefault(row["machine"], []).append(row)
            else:
                groups.append([row])
        return sorted(groups + list(by_machine.values()), key=lambda g: g[0]["id"])

    def _failed(self, destination: Destination, error: str, destinations: list[Destination], now: float) -> None:
        state = self.failing[destination.key]
        state.failures += 1
        state.retry_at = now + Backoff(RETRY_FIRST, RETRY_MAX).delay(state.failures)
        log.warning("%s failed (%d in a row): %s", destination.name, state.failures, error)
        name = destination.transport
        if state.failures >= self.settings.transport_failures and name not in self.noticed:
            others = _elsewhere(destinations, name)
            if others:
                self.noticed[name] = destination.key
                where = "" if destination.name == name else f"{destination.name}: "
                self._notice(Reply.text(f"{name} keeps failing", f"{where}{state.failures} sends in a row failed: {error}",
                                        "alerts are kept and will be sent there when it works again", severity="warning"),
                             others, now)

    def _succeeded(self, destination: Destination, destinations: list[Destination], now: float) -> None:
        name = destination.transport
        if self.noticed.get(name) == destination.key:
            del self.noticed[name]
            self._notice(Reply.text(f"{name} works again", "the alerts it missed are being delivered", severity="ok"),
                         _elsewhere(destinations, name), now)
        self.failing[destination.key] = _Failing()

    def _notice(self, reply: Reply, to: list[str], now: float) -> None:
        with transaction(self.botdb):
            enqueue(self.botdb, reply, "", "transport_failing", now, now, only_to=to)


def _elsewhere(destinations: list[Destination], transport: str) -> list[str]:
    """Where a notice about `transport` goes: the configured destinations of the other transports."""
    return [d.key for d in destinations if d.transport != transport and not d.direct]


def _as_sent(row: sqlite3.Row, now: float) -> Reply:
    """The row's reply, saying when it happened if that is well before now (rendered at send time:
    only then is it known to be late)."""
    reply = Reply.from_json(row["reply"])
    happened = reply.at or row["source_time"] or row["created"]     # at: the event's own time (a client's backlog)
    sent = dated(reply, happened, now) if now - happened > LATE else reply
    sent.at = happened       # the time embeds show in their footer (a debounced alert: when it was raised)
    return sent
