"""Late and flaky chat: the whole bot (BotApp) with a chat that cannot be reached when it starts,
then drops and comes back, through the real discord.py and python-telegram-bot against the fakes;
and 429s that ask for long waits. Every test fails when a chat library or a transport logged an
error (the chat_errors fixture)."""
from __future__ import annotations

import asyncio
import contextlib
import io

from bot.alerts.botdb import connect_botdb
from bot.alerts.delivery import Delivery
from bot.alerts.outbox import enqueue, owes
from bot.alerts.settings import AlertSettings
from bot.commands.dispatch import command_specs
from bot.reply import Reply
from bot.settings import BotSettings
from bot.transports.base import Backoff, CommandSpec
from bot.transports.console import ConsoleTransport
from bot.transports.discord_transport import DiscordTransport
from bot.transports.settings import DiscordSettings, TelegramSettings
from bot.transports.telegram_transport import TelegramTransport
from monitor.server.settings import ServerSettings
from monitor.sqlite_tx import transaction
from teafarm.apps import bot_app
from teafarm.config import Config
from tests.helpers import fake_discord, fake_telegram
from tests.helpers.chat_harness import RecordingHandler, run
from tests.helpers.fake_discord import ALERT_CHANNEL_ID, COMMAND_CHANNEL_ID, FakeDiscord
from tests.helpers.fake_telegram import FakeTelegram
from tests.helpers.ports import free_port
from tests.helpers.waiting import wait_until_async

FAST = Backoff(first=0.05, most=0.5)      # test-only: the default starts at 2 s and doubles to 5 min
COMMANDS = [CommandSpec("farm", "Farm status")]
DM_CHAT = 1001


def bot_config(tmp_path, **chats) -> Config:
    # transport_failures=1: a single counted failure would already send "<chat> keeps failing"
    alerts = AlertSettings(startup_grace=0.0, daily_summary="", transport_failures=1)
    return Config(data_dir=tmp_path / "data", server=ServerSettings(listen=f"127.0.0.1:{free_port()}"),
                  bot=BotSettings(alerts=alerts, **chats))


@contextlib.asynccontextmanager
async def running_bot(config: Config, chat):
    """The bot with `chat` and a console that records (the other transport, where a false
    "<chat> keeps failing" would show)."""
    console = io.StringIO()
    app = bot_app(config, transports=[chat, ConsoleTransport(io.StringIO(), console)])
    await app.start()
    try:
        yield app, console
    finally:
        await app.stop()


def queue_alert(app, machine: str, title: str) -> None:
    """An alert as the engine writes it: into the outbox, for every transport."""
    botdb = connect_botdb(app.botdb_path)
    try:
        with transaction(botdb):
            now = app.alerts.clock()
            enqueue(botdb, Reply.text(title, f"{machine} / harvester-1", severity="critical"), machine, "test", now, now)
    finally:
        botdb.close()


def owed_to(app, transport: str) -> int:
    destinations = next(t for t in app.transports if t.name == transport).alert_destinations()
    botdb = connect_botdb(app.botdb_path)
    try:
        rows = botdb.execute("SELECT * FROM outbox WHERE done = 0").fetchall()
    finally:
        botdb.close()
    return sum(1 for r in rows if any(owes(r, d) for d in destinations))


async def no_notice_while_unreachable(app, console: io.StringIO, chat: str, title: str) -> str:
    """Waits until the other transport got `title` (so a delivery round saw it while `chat` was not
    reached yet) and returns what the console showed by then."""
    await wait_until_async(lambda: title in console.getvalue(), 20, f"{title!r} on the console")
    assert app.alerts.delivery.failures(chat) == 0, "not reached yet counted as failing"
    return console.getvalue()


def test_telegram_reached_late_and_again_after_a_drop(tmp_path, chat_errors):
    fake = FakeTelegram(port=free_port())      # not started: Telegram cannot be reached when the bot starts
    config = bot_config(tmp_path, telegram=TelegramSettings(
        token=fake_telegram.TOKEN, api_base_url=fake.api_base_url,
        command_chat_ids=[str(DM_CHAT)], alert_chat_ids=[str(DM_CHAT)]))
    telegram = TelegramTransport(config.bot.telegram, command_specs(), backoff=FAST)
    telegram.application.add_error_handler(lambda update, context: _collect(chat_errors, context))

    def sent(text: str) -> list:
        return [c for c in fake.calls_of("sendMessage") if text in (c.shown_text or "")]

    async def command_answered(times: int) -> None:
        await fake.push_text("/help", chat_id=DM_CHAT, user_id=DM_CHAT)
        await wait_until_async(lambda: len(sent("/missed")) >= times, 20, f"/help answered ({times})")

    async def scenario():
        try:
            async with running_bot(config, telegram) as (app, console):
                await wait_until_async(lambda: telegram.health.failures >= 2, 20, "two failed attempts to reach Telegram")
                queue_alert(app, "late-1", "Harvester disconnected")
                before = await no_notice_while_unreachable(app, console, "telegram", "Harvester disconnected")
                await fake.start()
                await wait_until_async(lambda: sent("Harvester disconnected"), 20, "the kept alert sent to Telegram")
                await command_answered(1)

                await fake.stop()                                       # an outage ...
                await wait_until_async(lambda: not telegram.is_up, 20, "the transport to see Telegram gone")
                queue_alert(app, "drop-1", "Disk gone")
                await wait_until_async(lambda: "Disk gone" in console.getvalue(), 20, "the second alert on the console")
                await fake.start()                                      # ... that ends
                await wait_until_async(lambda: sent("Disk gone"), 20, "the alert kept over the outage")
                await command_answered(2)
                await wait_until_async(lambda: owed_to(app, "telegram") == 0, 20, "nothing owed to Telegram")
        finally:
            await fake.stop()                   # after the bot: PTB's last getUpdates at stop must reach it
        return before

    console_before = run(scenario(), timeout=90)
    assert "keeps failing" not in console_before
    assert len(sent("Harvester disconnected")) == 1 and len(sent("Disk gone")) == 1, "each alert exactly once"
    assert all(c.params["chat_id"] == DM_CHAT for c in fake.calls_of("sendMessage"))


def test_discord_reached_late_and_again_after_a_drop(tmp_path, chat_errors):
    fake = FakeDiscord(port=free_port())       # not started: Discord cannot be reached when the bot starts
    config = bot_config(tmp_path, discord=DiscordSettings(
        token=fake_discord.TOKEN, guild_ids=[fake_discord.GUILD_ID], alert_channel_ids=[ALERT_CHANNEL_ID],
        command_channel_ids=[COMMAND_CHANNEL_ID]))
    transport = DiscordTransport(config.bot.discord, command_specs(), guild_ready_timeout=0.05, backoff=FAST)

    def sent(text: str, channel: str) -> list:
        return [c for c in fake.calls_of("create_message")
                if text in c.shown and c.path.endswith(f"/channels/{channel}/messages")]

    async def command_answered(times: int) -> None:
        await fake.send_message("!help")
        await wait_until_async(lambda: len(sent("/missed", COMMAND_CHANNEL_ID)) >= times, 20,
                               f"!help answered ({times})")

    async def scenario():
        with fake.patched_urls():
            try:
                async with running_bot(config, transport) as (app, console):
                    await wait_until_async(lambda: transport.health.failures >= 2, 20, "two failed attempts to reach Discord")
                    queue_alert(app, "late-1", "Harvester disconnected")
                    before = await no_notice_while_unreachable(app, console, "discord", "Harvester disconnected")
                    await fake.start()
                    await wait_until_async(lambda: sent("Harvester disconnected", ALERT_CHANNEL_ID), 20,
                                           "the kept alert sent to Discord")
                    await command_answered(1)

                    await fake.stop()                                   # an outage ...
                    await wait_until_async(lambda: not transport.is_up, 20, "the transport to see Discord gone")
                    queue_alert(app, "drop-1", "Disk gone")
                    await wait_until_async(lambda: "Disk gone" in console.getvalue(), 20, "the second alert on the console")
                    await fake.start()                                  # ... that ends
                    await wait_until_async(lambda: sent("Disk gone", ALERT_CHANNEL_ID), 20,
                                           "the alert kept over the outage")
                    await command_answered(2)
                    await wait_until_async(lambda: owed_to(app, "discord") == 0, 20, "nothing owed to Discord")
            finally:
                await fake.stop()
        return before, len(fake.identified_intents)

    console_before, identified = run(scenario(), timeout=90)
    assert "keeps failing" not in console_before
    assert identified == 2, "one gateway session before the outage, a new one after"
    assert len(sent("Harvester disconnected", ALERT_CHANNEL_ID)) == 1 and len(sent("Disk gone", ALERT_CHANNEL_ID)) == 1


def test_a_refused_token_is_not_tried_again_and_says_so_once(chat_errors):
    async def scenario():
        fake = FakeTelegram(token="some-other-token")
        await fake.start()
        telegram = TelegramTransport(TelegramSettings(token=fake_telegram.TOKEN, api_base_url=fake.api_base_url),
                                     COMMANDS, backoff=FAST)
        try:
            keeper = telegram.keep_connected(RecordingHandler())
            await asyncio.wait_for(keeper, 20)           # the keeper gave up by itself
            return telegram.health.failures, telegram.waiting_first
        finally:
            await telegram.close()
            await fake.stop()

    failures, waiting_first = run(scenario())
    assert failures == 1 and waiting_first is False     # a real failure: delivery counts it from now on
    (logged,) = chat_errors.take()
    assert "token was refused" in logged and "not tried again" in logged


def test_telegram_waits_out_429s_as_long_and_as_often_as_asked(chat_errors):
    """PTB's rate limiter used to give up after four tries (the reply was lost); an 8 s wait is honoured."""
    async def scenario():
        fake = FakeTelegram()
        await fake.start()
        telegram = TelegramTransport(TelegramSettings(token=fake_telegram.TOKEN, api_base_url=fake.api_base_url,
                                                      alert_chat_ids=[str(DM_CHAT)]), COMMANDS)
        telegram.application.add_error_handler(lambda update, context: _collect(chat_errors, context))
        try:
            await telegram.start(RecordingHandler(Reply.text("Farm OK", "3 harvesters")))
            for retry_after in (8, 1, 1, 1):
                fake.fail_next("sendMessage", retry_after=retry_after)
            await fake.push_text("/farm", chat_id=DM_CHAT, user_id=DM_CHAT)
            replies = await fake.wait_for_calls("sendMessage", 5, timeout=30)
            fake.fail_next("sendMessage", retry_after=1)
            await telegram.send_alert(Reply.text("Disk nearly full", "farmer-1 /mnt/d7"))
            return replies, fake.calls_of("sendMessage")[5:]
        finally:
            await telegram.close()
            await fake.stop()

    replies, alerts = run(scenario(), timeout=60)
    gaps = [later.at - earlier.at for earlier, later in zip(replies, replies[1:])]
    assert gaps[0] >= 8, f"a request {gaps[0]:.2f} s after a 429 asking for 8 s"
    assert all(gap >= 1 for gap in gaps[1:]), gaps
    assert replies[-1].shown_text == "Farm OK\n3 harvesters" and all(r.params == replies[0].params for r in replies)
    assert len(alerts) == 2 and alerts[1].at - alerts[0].at >= 1 and alerts[1].shown_text.endswith("farmer-1 /mnt/d7")


@contextlib.asynccontextmanager
async def discord_transport(**options):
    fake = FakeDiscord()
    await fake.start()
    settings = DiscordSettings(token=fake_discord.TOKEN, guild_ids=[fake_discord.GUILD_ID],
                               alert_channel_ids=[ALERT_CHANNEL_ID], command_channel_ids=[COMMAND_CHANNEL_ID])
    transport = DiscordTransport(settings, COMMANDS, guild_ready_timeout=0.05, **options)
    with fake.patched_urls():
        try:
            await transport.start(RecordingHandler(Reply.text("Farm OK", "3 harvesters")))
            yield fake, transport
        finally:
            await transport.close()
            await fake.stop()


def test_discord_429_of_8_s_shows_no_request_before_8_s(chat_errors):
    async def scenario():
        async with discord_transport() as (fake, _):
            fake.fail_next("followup", retry_after=8)
            await fake.run_slash("farm")
            return await fake.wait_for_calls("followup", 2, timeout=30)

    refused, answered = run(scenario(), timeout=60)
    assert answered.at - refused.at >= 8, f"a request {answered.at - refused.at:.2f} s after a 429 asking for 8 s"
    assert answered.shown == refused.shown == "Farm OK\n3 harvesters"


def test_discord_429_asking_for_90_s_is_honoured_for_replies_and_alerts(tmp_path, chat_errors):
    """Past discord.py's own 60 s limit a 429 used to drop a channel reply ("!farm") and retry the alert
    after 5 s. The waits run on an injected sleep and clock: nothing really waits 90 s. (Slash replies
    go out as webhook followups, which discord.py waits out by itself whatever the length.)"""
    slept: list[float] = []
    now = [1_800_000_000.0]

    async def recorded_sleep(seconds: float) -> None:
        slept.append(seconds)
        await asyncio.sleep(0)

    async def scenario():
        async with discord_transport(sleep=recorded_sleep) as (fake, transport):
            fake.fail_next("create_message", retry_after=90)
            await fake.send_message("!farm")
            replies = await fake.wait_for_calls("create_message", 2)

            botdb = connect_botdb(tmp_path / "bot.db")
            delivery = Delivery(botdb, [transport], AlertSettings(transport_failures=1), clock=lambda: now[0])
            with transaction(botdb):
                enqueue(botdb, Reply.text("Disk gone", "nas-1 /mnt/hdd7", severity="critical"), "nas-1", "test",
                        now[0], now[0])
            fake.fail_next("create_message", retry_after=90)
            start, tries = now[0], []
            for offset in (0, 5, 10, 60, 89.5, 90):
                now[0] = start + offset
                await delivery.deliver()
                tries.append((offset, len(alerts(fake))))
            botdb.close()
            return replies, tries, delivery.failures("discord")

    replies, tries, failures = run(scenario())
    assert slept == [90], "the reply waited the 90 s Discord asked for"
    assert replies[1].shown == "Farm OK\n3 harvesters"
    assert [r.path.endswith(f"/channels/{COMMAND_CHANNEL_ID}/messages") for r in replies] == [True, True]
    assert tries == [(0, 1), (5, 1), (10, 1), (60, 1), (89.5, 1), (90, 2)], "the alert: no try before 90 s"
    assert failures == 0, "a rate limit is not Discord failing"


def alerts(fake: FakeDiscord) -> list:
    return [c for c in fake.calls_of("create_message") if c.path.endswith(f"/channels/{ALERT_CHANNEL_ID}/messages")]


async def _collect(chat_errors, context) -> None:
    chat_errors.add(f"PTB error handler: {context.error!r}")
