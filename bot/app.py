"""`teafarm bot`: one asyncio program with the monitoring server, the alert engine (which also runs
the clock rules, e.g. machine silence, when they ask), the scheduler (daily summary, retention,
heartbeat), the chat transports, `/healthz` and, when configured, Prometheus `/metrics` (each on its own
thread)."""
from __future__ import annotations

import asyncio
import datetime as dt
import logging
import threading
import time
from collections.abc import Callable
from pathlib import Path

from apscheduler.schedulers.asyncio import AsyncIOScheduler

from bot.access import guarded, guarded_suggestions
from bot.alerts.botdb import connect_botdb
from bot.alerts.destinations import Outlets, current, queue_startup_message
from bot.alerts.heartbeat import ping
from bot.alerts.quiet import QuietHours
from bot.alerts.rules import resolved_kinds
from bot.alerts.service import AlertService
from bot.commands.base import CommandContext
from bot.alerts.settings import AlertSettings
from bot.commands.dispatch import Dispatcher, command_specs
from bot.metrics.server import HealthServer, MetricsServer
from bot.settings import BotSettings
from bot.transports.base import Transport
from bot.transports.factory import build_transports
from monitor.server.app import ServerApp
from monitor.server.settings import ServerSettings
from monitor.store.reader import StoreReader
from teafarm import __version__
from teafarm.typed_config import ConfigError

log = logging.getLogger(__name__)

HEARTBEAT_SECONDS = 60
LOOP_ANSWER_SECONDS = 5.0   # /healthz: an event loop busier than this is stuck, not busy


def botdb_path(database: Path) -> Path:
    """bot.db lives beside the farm database."""
    return database.with_name("bot.db")


def command_context(database: Path, alerts: AlertSettings, outlets: Outlets | None = None) -> Callable[[], CommandContext]:
    return lambda: CommandContext(StoreReader(database), connect_botdb(botdb_path(database)), alerts, outlets=outlets)


def check_alert_settings(settings: AlertSettings) -> None:
    """Alert config mistakes, one line each, before anything starts."""
    resolved_kinds(settings)
    QuietHours.parse(settings.quiet_hours)
    if settings.daily_summary:
        _hour_minute(settings.daily_summary)
    for key in ("group_window", "startup_grace", "reminder_first", "reminder_max", "machine_silent", "farming_window"):
        if getattr(settings, key) < 0:
            raise ConfigError(f"bot.alerts.{key}: must not be negative, got {getattr(settings, key)}")
    if settings.reminder_first <= 0:
        raise ConfigError("bot.alerts.reminder_first: must be more than 0 seconds")


def _hour_minute(text: str) -> tuple[int, int]:
    hour, _, minute = text.partition(":")
    try:
        h, m = int(hour), int(minute)
    except ValueError:
        h = m = -1
    if not (0 <= h <= 23 and 0 <= m <= 59):
        raise ConfigError(f"bot.alerts.daily_summary: expected HH:MM (e.g. 08:00) or \"\", got {text!r}")
    return h, m


class BotApp:
    def __init__(self, settings: BotSettings, server: ServerSettings, data_dir: Path,
                 transports: list[Transport] | None = None, clock: Callable[[], float] = time.time,
                 on_sent=None) -> None:
        """`server` with every path filled in (the server's settings: the bot embeds it)."""
        check_alert_settings(settings.alerts)
        self.settings = settings
        self.scheduler = AsyncIOScheduler()
        self.server = ServerApp(server, data_dir, self.scheduler)
        self.transports = transports if transports is not None else build_transports(settings, command_specs())
        self.botdb_path = botdb_path(self.server.database_path)
        self.alerts = AlertService(self.server.database_path, self.botdb_path, settings.alerts, self.transports,
                                   clock, on_sent)
        self.outlets = Outlets(self.transports)     # /test and /subscribe reach the transports through it
        self.dispatcher = Dispatcher(command_context(self.server.database_path, settings.alerts, self.outlets))
        self.metrics = MetricsServer(settings.metrics, self.server.database_path, self.botdb_path)
        self.health = HealthServer(settings.health, self.health_problem)
        self._loop: asyncio.AbstractEventLoop | None = None   # set once started: /healthz says "starting" till then

    async def start(self) -> None:
        self.metrics.start()      # first: a port in use stops the bot before anything runs (it reads per scrape)
        self.health.start()
        await self.server.start()
        for transport in self.transports:   # from the first delivery on: not reached yet is no failure
            transport.waiting_first = True
        await self.alerts.start()
        self.server.add_commit_listener(self.alerts.wake)
        self.outlets.loop = asyncio.get_running_loop()
        if self.settings.alerts.startup_message:
            await asyncio.to_thread(self._queue_startup_message)
        # Each transport connects in the background and keeps trying (a bot booted before the network,
        # a chat outage) instead of being dropped after a failed start; its alerts wait in the outbox.
        handler = guarded(self.dispatcher.handle, self.settings)
        suggest = guarded_suggestions(self.dispatcher.suggest, self.settings)
        for transport in self.transports:
            transport.suggest = suggest
            transport.keep_connected(handler)
        self._schedule()
        self.scheduler.start()
        self._loop = asyncio.get_running_loop()
        log.info("teafarm bot running: transports %s (connecting), bot state %s",
                 ", ".join(t.name for t in self.transports) or "none", self.botdb_path)

    def _queue_startup_message(self) -> None:
        botdb = connect_botdb(self.botdb_path)
        try:
            queue_startup_message(botdb, current(self.transports, botdb), __version__, time.time())
        finally:
            botdb.close()

    def health_problem(self) -> str | None:
        """/healthz, from the HTTP thread: None while the bot runs and its event loop answers."""
        loop = self._loop
        if loop is None:
            return "not running (starting or stopping)"
        answered = threading.Event()
        try:
            loop.call_soon_threadsafe(answered.set)
        except RuntimeError:     # the loop closed between the two lines
            return "not running (stopped)"
        if not answered.wait(LOOP_ANSWER_SECONDS):
            return f"the bot's event loop has not answered for {LOOP_ANSWER_SECONDS:g} s"
        return None

    def _schedule(self) -> None:
        settings = self.settings.alerts
        self.scheduler.add_job(self.alerts.housekeeping, "interval", hours=24, id="bot-housekeeping")
        self.scheduler.add_job(self.alerts.record_day, "interval", hours=1, id="daily-rollup",
                               next_run_time=dt.datetime.now())     # at the start too: a first start rebuilds the past days
        if settings.daily_summary:
            hour, minute = _hour_minute(settings.daily_summary)
            self.scheduler.add_job(self.alerts.daily_summary, "cron", hour=hour, minute=minute, id="daily-summary")
        if settings.heartbeat_url:
            self.scheduler.add_job(ping, "interval", seconds=HEARTBEAT_SECONDS, args=[settings.heartbeat_url],
                                   id="heartbeat", next_run_time=dt.datetime.now())

    async def stop(self) -> None:
        if self.scheduler.running:
            self.scheduler.shutdown(wait=False)
        # the server first: no commit arrives for the engine to chase while it stops (busy clients kept
        # the engine running past the stop timeout); then alerts before the transports: a send cut short
        # by a closing transport is no failure to count (the outbox keeps it)
        await self.server.stop()
        await self.alerts.stop()
        for transport in self.transports:
            try:
                await transport.close()
            except Exception:
                log.exception("transport %s did not stop cleanly", transport.name)
        self.dispatcher.close()
        self._loop = None
        await asyncio.to_thread(self.metrics.stop)
        await asyncio.to_thread(self.health.stop)
        log.info("teafarm bot stopped")
