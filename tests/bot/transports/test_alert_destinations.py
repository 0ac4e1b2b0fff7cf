"""Alert destinations end to end: the whole bot (BotApp) with the real python-telegram-bot, discord.py
and Apprise against the local fakes and a JSON webhook. Per chat destination severity, /subscribe
and /unsubscribe (and what a user the platform will not let the bot write to is told), mentions
only on critical alerts and only of `mention_ids`, silent info, the start-up message and /test."""
from __future__ import annotations

import contextlib

from bot.alerts.settings import AlertSettings
from bot.commands.dispatch import command_specs
from bot.metrics.settings import HealthSettings
from bot.settings import BotSettings
from bot.transports.apprise_transport import AppriseTransport
from bot.transports.discord_transport import DiscordTransport
from bot.transports.settings import AlertPlace, AppriseSettings, AppriseURL, DiscordSettings, TelegramSettings
from bot.transports.telegram_transport import TelegramTransport
from monitor.server.settings import ServerSettings
from teafarm.apps import bot_app
from teafarm.config import Config
from tests.helpers import fake_discord, fake_telegram
from tests.helpers.alert_harness import queue_alert
from tests.helpers.chat_harness import run
from tests.helpers.fake_discord import ALERT_CHANNEL_ID, COMMAND_CHANNEL_ID, OTHER_CHANNEL_ID, OWNER, STRANGER, \
    FakeDiscord
from tests.helpers.fake_telegram import FakeTelegram
from tests.helpers.ports import free_port
from tests.helpers.waiting import wait_until_async
from tests.helpers.webhook import Webhook

GROUP, PAGER, ALICE, BOB, ON_CALL = -100600, -100500, 1001, 2002, 7007
SUPPRESS_NOTIFICATIONS = 1 << 12     # Discord's message flag


def bot_config(tmp_path, **sections) -> Config:
    alerts = AlertSettings(startup_grace=0.0, daily_summary="", startup_message=True)
    return Config(data_dir=tmp_path / "data", server=ServerSettings(listen=f"127.0.0.1:{free_port()}"),
                  bot=BotSettings(alerts=alerts, health=HealthSettings(listen=""), **sections))


@contextlib.asynccontextmanager
async def running(config: Config, transports):
    app = bot_app(config, transports=transports)
    await app.start()
    try:
        yield app
    finally:
        await app.stop()


def test_telegram_and_apprise_destinations(tmp_path, chat_errors):
    fake, webhook = FakeTelegram(), Webhook()
    dead = f"json://farmer:s3cret@127.0.0.1:{free_port()}/hook"      # nothing listens there

    def to(chat: int, text: str) -> list:
        return [c for c in fake.calls_of("sendMessage") if c.params["chat_id"] == chat and text in (c.shown_text or "")]

    async def command(text: str, user: int, answer: str) -> str:
        await fake.push_text(text, chat_id=GROUP, user_id=user, chat_type="supergroup")
        calls = await wait_until_async(lambda: to(GROUP, answer), 30, f"{text!r} answered with {answer!r}")
        return calls[-1].shown_text

    async def scenario():
        await fake.start()
        await webhook.start()
        fake.not_started.add(BOB)
        config = bot_config(tmp_path, telegram=TelegramSettings(
            token=fake_telegram.TOKEN, api_base_url=fake.api_base_url, command_chat_ids=[str(GROUP)],
            alert_chat_ids=[str(GROUP)], alert_chats=[AlertPlace(str(PAGER), "critical")], mention_ids=[str(ON_CALL)]),
            apprise=AppriseSettings([AppriseURL(webhook.url(), "warning"), AppriseURL(dead, "critical")]))
        transports = [TelegramTransport(config.bot.telegram, command_specs()), AppriseTransport(config.bot.apprise.urls)]
        try:
            async with running(config, transports) as app:
                await wait_until_async(lambda: to(GROUP, "started") and to(PAGER, "started"), 30, "the start-up message")
                subscribed = await command("/subscribe warning", ALICE, "Subscribed")
                refused = await command("/subscribe", BOB, "Not subscribed")
                queue_alert(app.botdb_path, "Disk gone", "critical", "nas-1", "nas-1 /mnt/d7 @everyone")
                queue_alert(app.botdb_path, "Plot added", "info", "nas-2")
                await wait_until_async(lambda: to(GROUP, "Plot added") and to(ALICE, "Disk gone") and to(PAGER, "Disk gone")
                                       and "Disk gone" in webhook.titles(), 30, "the alerts at their destinations")
                tested = await command("/test", ALICE, "Test alert:")
                await command("/unsubscribe", ALICE, "Unsubscribed")
                queue_alert(app.botdb_path, "Harvester lost", "critical", "nas-3")
                await wait_until_async(lambda: to(GROUP, "Harvester lost"), 30, "the alert after /unsubscribe")
        finally:
            await fake.stop()
            await webhook.stop()
        return subscribed, refused, tested

    subscribed, refused, tested = run(scenario(), timeout=120)
    assert "Critical alerts and warnings go to your direct messages" in subscribed
    assert to(ALICE, "You get critical alerts and warnings here"), "greeted in the direct message"
    assert "press Start" in refused and "@farm_test_bot" in refused and not to(BOB, "Disk gone")

    startup = to(GROUP, "started") + to(PAGER, "started")
    assert len(startup) == 2 and all(c.params.get("disable_notification") is True for c in startup)
    assert "started" not in " ".join(webhook.titles(accepted_only=False)), "the start-up message is no alert"

    disk_gone = {chat: to(chat, "Disk gone") for chat in (GROUP, PAGER, ALICE)}
    assert all(len(calls) == 1 for calls in disk_gone.values()), "each destination once"
    assert all(not c.params.get("disable_notification") for calls in disk_gone.values() for c in calls)
    for chat in (GROUP, PAGER):               # critical in a group: the on-call user is mentioned
        assert f'tg://user?id={ON_CALL}' in disk_gone[chat][0].params["text"]
    assert "tg://user" not in disk_gone[ALICE][0].params["text"]
    plot_added = to(GROUP, "Plot added")
    assert len(plot_added) == 1 and plot_added[0].params["disable_notification"] is True
    assert "tg://user" not in plot_added[0].params["text"]
    assert not to(PAGER, "Plot added") and not to(ALICE, "Plot added"), "below their least severity"
    assert webhook.titles().count("Disk gone") == 1 and "Plot added" not in webhook.titles()
    assert not to(ALICE, "Harvester lost"), "unsubscribed"

    assert "4 of 5 destinations reached" in tested
    assert "s3cret" not in tested and "json://farmer:****@127.0.0.1" in tested, "the password masked"
    assert webhook.titles().count("Test alert") == 1 and to(PAGER, "Test alert") and to(ALICE, "Test alert")


def test_discord_destinations(tmp_path, chat_errors):
    fake = FakeDiscord()

    def to(channel: str, text: str) -> list:
        return [c for c in fake.calls_of("create_message")
                if c.path.endswith(f"/channels/{channel}/messages") and text in c.shown]

    def dm(user: dict) -> str:
        return next((c for c, u in fake.dm_channels.items() if u == user["id"]), "none")

    async def command(text: str, author: dict, answer: str) -> str:
        await fake.send_message(text, author=author)
        calls = await wait_until_async(lambda: to(COMMAND_CHANNEL_ID, answer), 30, f"{text!r} answered")
        return calls[-1].shown

    async def scenario():
        await fake.start()
        fake.closed_dms.add(STRANGER["id"])
        config = bot_config(tmp_path, discord=DiscordSettings(
            token=fake_discord.TOKEN, guild_ids=[fake_discord.GUILD_ID], command_channel_ids=[COMMAND_CHANNEL_ID],
            alert_channel_ids=[OTHER_CHANNEL_ID], alert_channels=[AlertPlace(ALERT_CHANNEL_ID, "critical")],
            mention_ids=[OWNER["id"]]))
        transport = DiscordTransport(config.bot.discord, command_specs(), guild_ready_timeout=0.05)
        with fake.patched_urls():
            try:
                async with running(config, [transport]) as app:
                    await wait_until_async(lambda: to(OTHER_CHANNEL_ID, "started"), 30, "the start-up message")
                    subscribed = await command("!subscribe critical", OWNER, "Subscribed")
                    refused = await command("!subscribe", STRANGER, "Not subscribed")
                    queue_alert(app.botdb_path, "Disk gone", "critical", "nas-1", "nas-1 /mnt/d7 @everyone @here")
                    queue_alert(app.botdb_path, "Plot added", "info", "nas-2")
                    await wait_until_async(lambda: to(OTHER_CHANNEL_ID, "Plot added") and to(dm(OWNER), "Disk gone"),
                                           30, "the alerts at their destinations")
            finally:
                await fake.stop()
        return subscribed, refused

    subscribed, refused = run(scenario(), timeout=120)
    assert "Critical alerts go to your direct messages" in subscribed
    assert "share a server" in refused and not to(dm(STRANGER), "Disk gone")

    critical = to(ALERT_CHANNEL_ID, "Disk gone") + to(OTHER_CHANNEL_ID, "Disk gone")
    assert len(critical) == 2, "each channel once"
    for call in critical:                    # the owner pinged, and only the owner: @everyone stays text
        assert call.body["content"] == f"<@{OWNER['id']}>"
        assert call.body["allowed_mentions"] == {"parse": [], "users": [int(OWNER["id"])]}
        assert not call.body.get("flags", 0) & SUPPRESS_NOTIFICATIONS
    direct = to(dm(OWNER), "Disk gone")
    assert len(direct) == 1 and not direct[0].body.get("content"), "no mention in a direct message"
    info = to(OTHER_CHANNEL_ID, "Plot added")
    assert len(info) == 1 and info[0].body["flags"] & SUPPRESS_NOTIFICATIONS
    assert info[0].body["allowed_mentions"] == {"parse": []}
    assert not to(ALERT_CHANNEL_ID, "Plot added") and not to(dm(OWNER), "Plot added")
    startup = to(OTHER_CHANNEL_ID, "started") + to(ALERT_CHANNEL_ID, "started")
    assert len(startup) == 2 and all(c.body["flags"] & SUPPRESS_NOTIFICATIONS for c in startup)
