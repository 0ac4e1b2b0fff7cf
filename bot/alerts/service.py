"""The alert engine and delivery as running tasks inside the bot's event loop.

The engine wakes on the store's commit listener and at least once a second (IDLE_WAKE) for what
only the clock reveals: each round runs the clock rules whose next look has come (a machine silent
at its threshold, not on a fixed tick), debounce ends and reminders. All its sqlite work runs on
one worker thread with its own connections, so the event loop that also serves gRPC and the chats
never waits on a query.
"""
from __future__ import annotations

import asyncio
import logging
import sqlite3
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from bot.alerts import outbox
from bot.alerts.botdb import connect_botdb
from bot.alerts.delivery import Delivery
from bot.alerts.engine import AlertEngine
from bot.alerts.settings import AlertSettings
from bot.alerts.summary import queue_daily_summary
from bot.commands.base import CommandContext
from bot.stats import daily, rollup
from bot.transports.base import Transport
from monitor.store.reader import StoreReader
from monitor.waits import wait_event

log = logging.getLogger(__name__)

IDLE_WAKE = 1.0       # seconds between rounds when nothing happens (clock rules, debounce ends, reminders, retries)
ROLLUP_EVERY = 5.0    # seconds between folds of new farming buckets into the running totals
OUTBOX_KEEP_DAYS = 30


class AlertService:
    def __init__(self, database: Path, botdb_path: Path, settings: AlertSettings, transports: list[Transport],
                 clock: Callable[[], float] = time.time, on_sent=None) -> None:
        self.database = database
        self.botdb_path = botdb_path
        self.settings = settings
        self.transports = transports
        self.clock = clock
        self.on_sent = on_sent
        self.engine: AlertEngine | None = None
        self.delivery: Delivery | None = None
        self._engine_thread = ThreadPoolExecutor(max_workers=1, thread_name_prefix="alerts")
        self._delivery_thread = ThreadPoolExecutor(max_workers=1, thread_name_prefix="alert-delivery")
        # the farming totals fold on their own thread: a first fold of millions of buckets never delays an alert
        self._rollup_thread = ThreadPoolExecutor(max_workers=1, thread_name_prefix="farming-rollup")
        self._rollup_db: tuple[StoreReader, sqlite3.Connection] | None = None
        self._tasks: list[asyncio.Task] = []
        self._loop: asyncio.AbstractEventLoop | None = None
        self._engine_wake: asyncio.Event | None = None
        self._delivery_wake: asyncio.Event | None = None

    async def start(self) -> None:
        self._loop = asyncio.get_running_loop()
        self._engine_wake, self._delivery_wake = asyncio.Event(), asyncio.Event()
        self.engine = await self._in_engine(self._open_engine)
        delivery_db = await self._loop.run_in_executor(self._delivery_thread, connect_botdb, self.botdb_path)
        self.delivery = Delivery(delivery_db, self.transports, self.settings, self.clock, self.on_sent,
                                 executor=self._delivery_thread, on_progress=self._delivery_wake.set)
        self._rollup_db = await self._loop.run_in_executor(
            self._rollup_thread, lambda: (StoreReader(self.database), connect_botdb(self.botdb_path)))
        self._tasks = [asyncio.create_task(self._engine_loop(), name="alert-engine"),
                       asyncio.create_task(self._delivery_loop(), name="alert-delivery"),
                       asyncio.create_task(self._rollup_loop(), name="farming-rollup")]

    def _open_engine(self) -> AlertEngine:
        engine = AlertEngine(StoreReader(self.database), connect_botdb(self.botdb_path), self.settings,
                             started=self.clock(), clock=self.clock)
        engine.initialize()
        return engine

    def wake(self, _max_seq: int = 0) -> None:
        """The store's commit listener: safe to call from any thread."""
        if self._loop is not None and not self._loop.is_closed():
            self._loop.call_soon_threadsafe(self._engine_wake.set)

    async def daily_summary(self) -> None:
        await self._in_engine(lambda: queue_daily_summary(
            CommandContext(self.engine.reader, self.engine.botdb, self.settings, self.clock)))
        self._delivery_wake.set()

    async def record_day(self) -> None:
        """Hourly: today's row of the daily rollup (plot count and size; the days before rebuilt once)."""
        await self._loop.run_in_executor(self._rollup_thread, daily.record, *self._rollup_db, self.clock())

    async def housekeeping(self) -> None:
        """Daily: thin old farming totals, forget delivered alerts older than OUTBOX_KEEP_DAYS."""
        await self._loop.run_in_executor(self._rollup_thread, rollup.prune, self._rollup_db[1], self.clock())
        await self._in_engine(outbox.prune, self.engine.botdb, self.clock() - OUTBOX_KEEP_DAYS * 86400)

    async def stop(self) -> None:
        for task in self._tasks:
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        if self.engine is not None:
            await self._in_engine(self._close_engine)
        if self.delivery is not None:
            await self.delivery.stop()
            # on its own thread, after any recording a cancelled send left there
            await self._loop.run_in_executor(self._delivery_thread, self.delivery.botdb.close)
        if self._rollup_db is not None:
            for connection in self._rollup_db:
                connection.close()
        for thread in (self._engine_thread, self._delivery_thread, self._rollup_thread):
            thread.shutdown(wait=True)

    def _close_engine(self) -> None:
        self.engine.reader.close()
        self.engine.botdb.close()

    async def _engine_loop(self) -> None:
        while True:
            await _wait(self._engine_wake, IDLE_WAKE)
            try:
                await self._in_engine(self._engine_round)
            except Exception:
                log.exception("alert engine round failed (it retries from its cursor)")
                await asyncio.sleep(IDLE_WAKE)
            self._delivery_wake.set()

    def _engine_round(self) -> None:
        self.engine.catch_up()
        self.engine.tick_due()
        self.engine.sweep()

    async def _rollup_loop(self) -> None:
        while True:
            try:
                await self._loop.run_in_executor(self._rollup_thread, rollup.catch_up, *self._rollup_db)
            except Exception:
                log.exception("farming totals could not be updated (retried; commands update them too)")
            await asyncio.sleep(ROLLUP_EVERY)

    async def _delivery_loop(self) -> None:
        while True:
            await _wait(self._delivery_wake, IDLE_WAKE)
            try:
                await self.delivery.dispatch()     # not waited for: each destination sends at its own pace
            except Exception:
                log.exception("alert delivery failed (the outbox keeps the alerts)")

    async def _in_engine(self, function, *args):
        return await self._loop.run_in_executor(self._engine_thread, function, *args)


async def _wait(event: asyncio.Event, timeout: float) -> None:
    await wait_event(event, timeout)     # not wait_for: on 3.11 it can swallow the stop's cancellation
    event.clear()
