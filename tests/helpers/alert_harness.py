"""Drive the alert engine and delivery by hand, with a clock the test moves, over a database
filled through the real server. The transport is a real Transport subclass that records sends."""
from __future__ import annotations

import asyncio
import time
from pathlib import Path

from bot.alerts.botdb import connect_botdb
from bot.alerts.delivery import Delivery
from bot.alerts.engine import AlertEngine
from bot.alerts.mutes import add_mute
from bot.alerts.outbox import enqueue
from bot.alerts.settings import AlertSettings, RuleSettings
from bot.alerts.rules import ALERTS
from bot.reply import Reply
from bot.transports.base import CommandHandler, Destination, Transport, TransportError, Unreachable
from monitor.sqlite_tx import transaction
from monitor.store.reader import StoreReader


class RecordingTransport(Transport):
    """`destinations`: its alert destinations (None: one, the transport itself)."""

    def __init__(self, name: str = "recorder", destinations: list[Destination] | None = None) -> None:
        super().__init__()
        self.name = name
        self.destinations = destinations
        self.sent: list[Reply] = []
        self.sent_to: list[tuple[str, Reply]] = []     # (destination key, reply), in order
        self.down = False            # True: every send fails, like a chat outage
        self.refusing: set[str] = set()   # destination keys whose sends fail
        self.blocked: set[str] = set()    # direct-message destination keys the platform will not open

    async def start(self, handler: CommandHandler) -> None:
        pass

    def alert_destinations(self) -> list[Destination]:
        return super().alert_destinations() if self.destinations is None else list(self.destinations)

    async def send_to(self, destination: Destination, reply: Reply) -> None:
        if self.down or destination.key in self.refusing:
            raise TransportError(f"{destination.name} is down")
        if destination.key in self.blocked:
            raise Unreachable(f"{destination.name} blocked the bot")
        self.sent.append(reply)
        self.sent_to.append((destination.key, reply))

    async def send_alert(self, reply: Reply) -> None:
        for destination in self.alert_destinations():
            await self.send_to(destination, reply)

    async def stop(self) -> None:
        pass


def no_debounce() -> dict[str, RuleSettings]:
    return {name: RuleSettings(debounce=0) for name in ALERTS}


class Harness:
    def __init__(self, database: Path, folder: Path, transports: list[RecordingTransport] | None = None, **settings) -> None:
        values = dict(startup_grace=0.0, group_window=0.0, rules=no_debounce())
        values.update(settings)
        self.settings = AlertSettings(**values)
        self.t = time.time()
        self.botdb_path = folder / "bot.db"
        self.reader = StoreReader(database)
        self.botdb = connect_botdb(self.botdb_path)
        self.engine = AlertEngine(self.reader, self.botdb, self.settings, started=self.t, clock=lambda: self.t)
        self.engine.initialize()
        self.transports = transports or [RecordingTransport()]
        self.delivery = Delivery(self.botdb, self.transports, self.settings, clock=lambda: self.t)
        self.seen = 0

    @property
    def transport(self) -> RecordingTransport:
        return self.transports[0]

    def restart(self) -> None:
        """A new engine and delivery on the same bot.db, as after a bot restart."""
        self.botdb.close()
        self.botdb = connect_botdb(self.botdb_path)
        self.engine = AlertEngine(self.reader, self.botdb, self.settings, started=self.t - self.settings.startup_grace,
                                  clock=lambda: self.t)
        self.engine.initialize()
        self.delivery = Delivery(self.botdb, self.transports, self.settings, clock=lambda: self.t)

    def advance(self, seconds: float) -> None:
        self.t += seconds

    def run(self, tick: bool = False) -> list[Reply]:
        """Process every new event, sweep, deliver; returns the messages the first transport got now."""
        self.t = max(self.t, time.time())
        self.engine.catch_up()
        if tick:
            self.engine.tick()
        self.engine.sweep()
        asyncio.run(self._deliver_all())
        new = self.transport.sent[self.seen:]
        self.seen = len(self.transport.sent)
        return new

    async def _deliver_all(self) -> None:
        while await self.delivery.deliver():
            pass

    def mute(self, target: str, seconds: float = 3600) -> None:
        add_mute(self.botdb, target, self.t + seconds, "test", self.t)

    def close(self) -> None:
        self.reader.close()
        self.botdb.close()


def titles(replies: list[Reply]) -> list[str]:
    return [r.title for r in replies]


def text_of(reply: Reply) -> str:
    return "\n".join([reply.title] + [line for s in reply.sections for line in ([s.heading] if s.heading else []) + s.lines])


def queue_alert(botdb_path: Path, title: str, severity: str = "critical", machine: str = "", detail: str = "") -> None:
    """An alert as the engine writes it into the outbox (for tests of delivery in a running bot)."""
    botdb = connect_botdb(botdb_path)
    try:
        with transaction(botdb):
            now = time.time()
            enqueue(botdb, Reply.text(title, *([detail] if detail else []), severity=severity), machine, "test", now, now)
    finally:
        botdb.close()
