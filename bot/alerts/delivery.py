"""Delivery: outbox rows -> every transport, at least once.

A row is marked delivered for a transport right after that transport accepted it, so a crash in
between repeats that one message and nothing else. Ready alerts of one machine go out as one
message. A transport that keeps failing is retried with backoff (at once when it reports that it
is back up) and the other transports say so (and say when it works again). A transport not
reached yet since the bot started is not failing: its alerts wait, uncounted. A 429 is not a
failure either: the next try waits as long as the chat asked. A message that goes out more than
LATE seconds after it happened (an outage, a restart, quiet hours) says when it happened.
"""
from __future__ import annotations

import asyncio
import json
import logging
import sqlite3
import time
from collections.abc import Callable
from concurrent.futures import Executor
from dataclasses import dataclass

from bot.alerts.messages import dated, merged
from bot.alerts.outbox import enqueue, mark_delivered, ready, wanted_by
from bot.alerts.settings import AlertSettings
from bot.reply import Reply
from bot.transports.base import RateLimited, Transport, TransportError
from monitor.sqlite_tx import transaction

log = logging.getLogger(__name__)

RETRY_FIRST = 5.0
RETRY_MAX = 300.0
LATE = 60.0            # seconds after its event (or its queueing) from which a message says when it happened


@dataclass
class _Failing:
    failures: int = 0
    retry_at: float = 0.0
    ups: int = 0                   # the transport's `ups` at the last failure: one more means it is back, try now
    wait_until: float = 0.0        # the chat asked for a pause (429): honoured whatever else happens
    noticed: bool = False          # the other transports were told


class Delivery:
    def __init__(self, botdb: sqlite3.Connection, transports: list[Transport], settings: AlertSettings,
                 clock: Callable[[], float] = time.time, on_sent: Callable[[list[sqlite3.Row]], None] | None = None,
                 executor: Executor | None = None) -> None:
        self.botdb = botdb
        self.executor = executor          # where sqlite work runs (None: on the caller's thread)
        self.transports = transports
        self.settings = settings
        self.clock = clock
        self.on_sent = on_sent            # the latency bench watches sends through this
        self.failing = {t.name: _Failing() for t in transports}

    @property
    def names(self) -> list[str]:
        return [t.name for t in self.transports]

    async def deliver(self) -> int:
        """Send what is ready; returns how many messages went out (over all transports)."""
        now = self.clock()
        rows = await self._db(ready, self.botdb, now)
        if not rows:
            return 0
        sent = 0
        for group in self._groups(rows):
            for transport in self.transports:
                owed = [r for r in group if wanted_by(r, transport.name)]
                state = self.failing[transport.name]
                if not owed or transport.waiting_first or state.wait_until > now:
                    continue
                if state.retry_at > now and transport.ups == state.ups:
                    continue
                reply = merged(group[0]["machine"], [_as_sent(r, now) for r in owed])
                try:
                    await transport.send_alert(reply)
                except RateLimited as exc:
                    state.wait_until = now + exc.retry_after
                    log.info("transport %s asks to wait %.0f s before the next alert", transport.name, exc.retry_after)
                    continue
                except TransportError as exc:
                    state.ups = transport.ups
                    await self._db(self._failed, transport.name, str(exc), now)
                    continue
                except Exception as exc:  # a transport bug must not stop the other transports
                    log.exception("transport %s failed to send an alert", transport.name)
                    state.ups = transport.ups
                    await self._db(self._failed, transport.name, f"internal error: {type(exc).__name__}", now)
                    continue
                await self._db(self._mark, [r["id"] for r in owed], transport.name)
                sent += 1
                if self.on_sent:
                    self.on_sent(owed)
                await self._db(self._succeeded, transport.name, now)
        await self._db(self._close_unowed, rows)
        return sent

    async def _db(self, function, *args):
        if self.executor is None:
            return function(*args)
        return await asyncio.get_running_loop().run_in_executor(self.executor, function, *args)

    def _mark(self, ids: list[int], transport: str) -> None:
        with transaction(self.botdb):
            mark_delivered(self.botdb, ids, transport, self.names)

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

    def _close_unowed(self, rows: list[sqlite3.Row]) -> None:
        """Rows meant only for transports that no longer exist would wait forever: close them."""
        stale = [r["id"] for r in rows if r["only_to"] and not set(json.loads(r["only_to"])) & set(self.names)]
        if stale:
            with transaction(self.botdb):
                self.botdb.executemany("UPDATE outbox SET done = 1 WHERE id = ?", [(i,) for i in stale])

    def _failed(self, name: str, error: str, now: float) -> None:
        state = self.failing[name]
        state.failures += 1
        state.retry_at = now + min(RETRY_FIRST * 2 ** (state.failures - 1), RETRY_MAX)
        log.warning("transport %s failed (%d in a row): %s", name, state.failures, error)
        others = [n for n in self.names if n != name]
        if state.failures >= self.settings.transport_failures and not state.noticed and others:
            state.noticed = True
            self._notice(Reply.text(f"{name} keeps failing", f"{state.failures} sends in a row failed: {error}",
                                    "alerts are kept and will be sent there when it works again", severity="warning"),
                         others, now)

    def _succeeded(self, name: str, now: float) -> None:
        state = self.failing[name]
        if state.noticed:
            self._notice(Reply.text(f"{name} works again", "the alerts it missed are being delivered", severity="ok"),
                         [n for n in self.names if n != name], now)
        self.failing[name] = _Failing()

    def _notice(self, reply: Reply, to: list[str], now: float) -> None:
        with transaction(self.botdb):
            enqueue(self.botdb, reply, "", "transport_failing", now, now, only_to=to)


def _as_sent(row: sqlite3.Row, now: float) -> Reply:
    """The row's reply, saying when it happened if that is well before now (rendered at send time:
    only then is it known to be late)."""
    reply = Reply.from_json(row["reply"])
    happened = row["source_time"] or row["created"]
    return dated(reply, happened, now) if now - happened > LATE else reply
