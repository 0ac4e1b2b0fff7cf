"""`teafarm bot`: one asyncio program with the monitoring server, the alert engine (which also runs
the clock rules, e.g. machine silence, when they ask), the scheduler (daily summary, retention,
heartbeat), the chat transports and, when configured, Prometheus `/metrics` (on its own thread)."""
from __future__ import annotations

import asyncio
import datetime as dt
import logging
import time
from collections.abc import Callable
from pathlib import Path

from apscheduler.schedulers.asyncio import AsyncIOScheduler

from bot.access import guarded
from bot.alerts.botdb import connect_botdb
from bot.alerts.heartbeat import ping
from bot.alerts.quiet import QuietHours
from bot.alerts.rules import resolved_kinds
from bot.alerts.service import AlertService
from bot.commands.base import CommandContext
from bot.alerts.settings import AlertSettings
from bot.commands.dispatch import Dispatcher, command_specs
from bot.metrics.server import MetricsServer
from bot.settings import BotSettings
from bot.transports.base import Transport
from bot.transports.factory import build_transports
from monitor.server.app import ServerApp
from monitor.server.settings import ServerSettings
from monitor.store.reader import StoreReader
from teafarm.typed_config import ConfigError

log = logging.getLogger(__name__)

HEARTBEAT_SECONDS = 60


def botdb_path(database: Path) -> Path:
    """bot.db lives beside the farm database."""
    return database.with_name("bot.db")


def command_context(database: Path, alerts: AlertSettings) -> Callable[[], CommandContext]:
    return lambda: CommandContext(StoreReader(database), connect_botdb(botdb_path(database)), alerts)


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
        self.dispatcher = Dispatcher(command_context(self.server.database_path, settings.alerts))
        self.metrics = MetricsServer(settings.metrics, self.server.database_path, self.botdb_path)

    async def start(self) -> None:
        self.metrics.start()      # first: a port in use stops the bot before anything runs (it reads per scrape)
        await self.server.start()
        for transport in self.transports:   # from the first delivery on: not reached yet is no failure
            transport.waiting_first = True
        await self.alerts.start()
        self.server.add_commit_listener(self.alerts.wake)
        # Each transport connects in the background and keeps trying (a bot booted before the network,
        # a chat outage) instead of being dropped after a failed start; its alerts wait in the outbox.
        handler = guarded(self.dispatcher.handle, self.settings)
        for transport in self.transports:
            transport.keep_connected(handler)
        self._schedule()
        self.scheduler.start()
        log.info("teafarm bot running: transports %s (connecting), bot state %s",
                 ", ".join(t.name for t in self.transports) or "none", self.botdb_path)

    def _schedule(self) -> None:
        settings = self.settings.alerts
        self.scheduler.add_job(self.alerts.housekeeping, "interval", hours=24, id="bot-housekeeping")
        if settings.daily_summary:
            hour, minute = _hour_minute(settings.daily_summary)
            self.scheduler.add_job(self.alerts.daily_summary, "cron", hour=hour, minute=minute, id="daily-summary")
        if settings.heartbeat_url:
            self.scheduler.add_job(ping, "interval", seconds=HEARTBEAT_SECONDS, args=[settings.heartbeat_url],
                                   id="heartbeat", next_run_time=dt.datetime.now())

    async def stop(self) -> None:
        if self.scheduler.running:
            self.scheduler.shutdown(wait=False)
        # alerts first: a send cut short by a closing transport is no failure to count (the outbox keeps it)
        await self.alerts.stop()
        for transport in self.transports:
            try:
                await transport.close()
            except Exception:
                log.exception("transport %s did not stop cleanly", transport.name)
        self.dispatcher.close()
        await asyncio.to_thread(self.metrics.stop)
        await self.server.stop()
        log.info("teafarm bot stopped")
