"""Delivery and chats that are not there yet, rate limited, or back: alerts wait in the outbox,
go out once, and only a real failure counts toward "<chat> keeps failing". The clock is the test's."""
from __future__ import annotations

import asyncio
import time

from bot.alerts.botdb import connect_botdb
from bot.alerts.delivery import Delivery
from bot.alerts.outbox import enqueue
from bot.alerts.service import AlertService
from bot.alerts.settings import AlertSettings
from bot.reply import Reply
from bot.transports.base import Backoff, CommandHandler, RateLimited, Transport, TransportError
from monitor.sqlite_tx import transaction
from monitor.store.store import Store
from tests.helpers.alert_harness import RecordingTransport, titles
from tests.helpers.waiting import wait_until_async

T0 = 1_800_000_000.0


class FlakyChat(Transport):
    """A chat whose start fails while `reachable` is False; sends fail while it is not up, and the next
    `rate_limits` sends are answered with a 429."""

    def __init__(self, name: str = "late") -> None:
        super().__init__(backoff=Backoff(first=0.01, most=0.05))
        self.name = name
        self.reachable = False
        self.attempts = 0
        self.tries: list[float] = []         # the delivery clock at each send
        self.sent: list[Reply] = []
        self.rate_limits: list[float] = []
        self.clock = lambda: 0.0

    async def start(self, handler: CommandHandler) -> None:
        self.attempts += 1
        if not self.reachable:
            raise TransportError(f"{self.name}: cannot connect: network unreachable")

    async def send_alert(self, reply: Reply) -> None:
        self.tries.append(self.clock())
        if self.rate_limits:
            raise RateLimited(f"{self.name}: rate limited", self.rate_limits.pop(0))
        if not self.is_up:
            raise TransportError(f"{self.name}: not connected")
        self.sent.append(reply)

    async def stop(self) -> None:
        pass


async def no_commands(incoming):
    raise AssertionError("no commands in these tests")


def queue(botdb, title: str, machine: str, now: float) -> None:
    with transaction(botdb):
        enqueue(botdb, Reply.text(title, f"{machine} / harvester-1", severity="critical"), machine, "test", now, now)


async def deliver_all(delivery: Delivery) -> None:
    while await delivery.deliver():
        pass


def test_a_chat_not_reached_yet_is_not_failing_and_gets_each_alert_once_when_reached(tmp_path):
    late, other = FlakyChat("late"), RecordingTransport("other")
    botdb = connect_botdb(tmp_path / "bot.db")
    delivery = Delivery(botdb, [late, other], AlertSettings(transport_failures=1))

    async def scenario():
        late.keep_connected(no_commands)                 # the bot booted before the network
        try:
            await wait_until_async(lambda: late.attempts >= 2, 10, "two failed attempts", interval=0.01)
            queue(botdb, "Harvester disconnected", "farmer-1", time.time())
            for _ in range(3):
                await deliver_all(delivery)
            waiting = (list(late.tries), delivery.failures("late"), titles(other.sent))
            late.reachable = True
            await wait_until_async(lambda: late.is_up, 10, "the keeper to reach the chat", interval=0.01)
            for _ in range(3):
                await deliver_all(delivery)
        finally:
            await late.close()
        return waiting

    tries_while_unreachable, failures_while_unreachable, other_got = asyncio.run(scenario())
    assert tries_while_unreachable == [] and failures_while_unreachable == 0
    assert other_got == ["Harvester disconnected"], "no false 'late keeps failing' through the other chat"
    assert titles(late.sent) == ["Harvester disconnected"], "delivered once, when reached"
    assert not any("keeps failing" in t or "works again" in t for t in titles(other.sent))
    assert botdb.execute("SELECT count(*) FROM outbox WHERE done = 0").fetchone()[0] == 0


def test_a_429_asking_for_90_s_is_honoured_and_not_counted_as_failing(tmp_path):
    now = [T0]
    chat, other = FlakyChat("discord"), RecordingTransport("telegram")
    chat.reachable, chat.clock = True, lambda: now[0]
    chat.came_up()
    chat.rate_limits = [90.0]
    botdb = connect_botdb(tmp_path / "bot.db")
    delivery = Delivery(botdb, [chat, other], AlertSettings(transport_failures=1), clock=lambda: now[0])
    queue(botdb, "Disk gone", "nas-1", T0)

    async def at(offset: float) -> None:
        now[0] = T0 + offset
        await deliver_all(delivery)

    async def scenario():
        for offset in (0, 5, 10, 60, 89.9, 90, 95):
            await at(offset)

    asyncio.run(scenario())
    assert [t - T0 for t in chat.tries] == [0, 90], "no try before the 90 s Discord asked for"
    assert titles(chat.sent) == ["Disk gone"]
    assert titles(other.sent) == ["Disk gone"], "a rate limit is not the chat failing: no notice"


def test_a_chat_back_up_gets_what_it_missed_at_once_not_after_the_backoff(tmp_path):
    now = [T0]
    chat = FlakyChat("telegram")
    chat.reachable, chat.clock = True, lambda: now[0]
    chat.came_up()
    botdb = connect_botdb(tmp_path / "bot.db")
    delivery = Delivery(botdb, [chat], AlertSettings(), clock=lambda: now[0])

    async def scenario():
        chat.went_down("polling failed")                # an outage after the start
        queue(botdb, "RAM full", "farmer-2", T0)
        await deliver_all(delivery)                     # fails: retried after the backoff (5 s) ...
        now[0] = T0 + 1
        await deliver_all(delivery)
        tries_during_backoff = len(chat.tries)
        chat.came_up()                                  # ... or as soon as the chat is back
        await deliver_all(delivery)
        return tries_during_backoff

    assert asyncio.run(scenario()) == 1
    assert [t - T0 for t in chat.tries] == [0, 1]
    assert titles(chat.sent) == ["RAM full"]


class HangingChat(RecordingTransport):
    """Its sends wait for `release` (a webhook that does not answer, a 429 waited out in place)."""

    def __init__(self, name: str) -> None:
        super().__init__(name)
        self.release = asyncio.Event()
        self.hanging = 0

    async def send_to(self, destination, reply: Reply) -> None:
        self.hanging += 1
        await self.release.wait()
        await super().send_to(destination, reply)


def test_a_hanging_destination_delays_no_other_destination_s_next_alerts(tmp_path):
    """The bot's own delivery loop: an alert queued while one destination's send hangs reaches the
    other destination before the hang ends; the hanging one gets both, once each, when it answers."""
    Store(tmp_path / "farm.db").close()
    hanging, chat = HangingChat("apprise"), RecordingTransport("chat")
    settings = AlertSettings(startup_grace=0.0, group_window=0.0, daily_summary="")
    service = AlertService(tmp_path / "farm.db", tmp_path / "bot.db", settings, [hanging, chat])
    botdb = connect_botdb(tmp_path / "bot.db")

    async def scenario():
        await service.start()
        try:
            queue(botdb, "Disk gone", "nas-1", time.time())
            service.wake()                    # as the store's commit listener does
            await wait_until_async(lambda: hanging.hanging and chat.sent, 30, "the first alert: sent, and hanging")
            queue(botdb, "RAM full", "farmer-2", time.time())
            service.wake()                    # as the store's commit listener does
            await wait_until_async(lambda: len(chat.sent) == 2, 30, "the next alert, while the other still hangs")
            still_hanging = not hanging.release.is_set() and not hanging.sent
            hanging.release.set()
            await wait_until_async(lambda: len(hanging.sent) == 2, 30, "the hanging destination, once it answers")
            await wait_until_async(lambda: not botdb.execute("SELECT 1 FROM outbox WHERE done = 0").fetchone(),
                                   30, "every row done")
        finally:
            await service.stop()
        return still_hanging

    assert asyncio.run(scenario())
    assert titles(chat.sent) == ["Disk gone", "RAM full"]
    assert titles(hanging.sent) == ["Disk gone", "RAM full"], "each once, in order"
    botdb.close()
