"""The Discord transport through the real discord.py (REST and zlib-stream gateway) against a fake Discord."""
from __future__ import annotations

import asyncio
import contextlib

import pytest

from bot.access import guarded
from bot.reply import Reply, Section
from bot.settings import BotSettings
from bot.transports.base import CommandSpec, TransportError
from bot.transports.discord_transport import DiscordTransport
from bot.transports.settings import DiscordSettings
from tests.helpers import fake_discord
from tests.helpers.chat_harness import RecordingHandler, run
from tests.helpers.fake_discord import ALERT_CHANNEL_ID, COMMAND_CHANNEL_ID, OTHER_CHANNEL_ID, OWNER, STRANGER, \
    TOKEN, FakeDiscord
from tests.helpers.waiting import wait_until_async

COMMANDS = [CommandSpec("farm", "Farm status"), CommandSpec("missed", "Missed signage points", "window", "1h, 24h or 7d")]
MESSAGE_CONTENT_INTENT = 1 << 15


def bot_settings(**overrides) -> BotSettings:
    settings = BotSettings()
    values = dict(token=TOKEN, guild_ids=[fake_discord.GUILD_ID], alert_channel_ids=[ALERT_CHANNEL_ID],
                  command_channel_ids=[COMMAND_CHANNEL_ID])
    settings.discord = DiscordSettings(**{**values, **overrides})
    return settings


@contextlib.asynccontextmanager
async def discord_bot(handler, chat_errors, **overrides):
    """A fake Discord and a connected transport whose handler is guarded like the real bot's."""
    fake = FakeDiscord()
    await fake.start()
    settings = bot_settings(**overrides)
    transport = DiscordTransport(settings.discord, COMMANDS, guild_ready_timeout=0.05)

    async def on_error(event, *args, **kwargs):
        chat_errors.add(f"discord on_error in {event}")

    async def on_tree_error(interaction, error):
        chat_errors.add(f"discord tree.on_error: {error!r}")

    transport.client.on_error = on_error
    transport.tree.on_error = on_tree_error
    with fake.patched_urls():
        try:
            await transport.start(guarded(handler, settings))
            yield fake, transport
        finally:
            await transport.stop()
            await fake.stop()


def test_slash_commands_are_synced_to_the_guild_and_answered(chat_errors):
    handler = RecordingHandler(Reply.text("Farm OK", "3 harvesters"))

    async def scenario():
        async with discord_bot(handler, chat_errors) as (fake, _):
            (sync,) = fake.calls_of("sync_commands")
            assert sync.path.endswith(f"/guilds/{fake_discord.GUILD_ID}/commands")
            assert [(c["name"], [o["name"] for o in c["options"]]) for c in sync.body] == \
                [("farm", []), ("missed", ["window"])]
            interaction_id = await fake.run_slash("missed", {"window": "24h"})
            (callback,) = await fake.wait_for_calls("interaction_callback")
            (followup,) = await fake.wait_for_calls("followup")
            return interaction_id, callback, followup, fake.identified_intents, fake.compressions

    interaction_id, callback, followup, intents, compressions = run(scenario())
    assert compressions == ["zlib-stream"]    # the events above came through real zlib-stream decompression
    assert f"/interactions/{interaction_id}/" in callback.path and callback.body["type"] == 5   # "thinking..."
    assert followup.shown == "Farm OK\n3 harvesters"
    assert followup.body["allowed_mentions"] == {"parse": []}
    (incoming,) = handler.received
    assert (incoming.transport, incoming.chat_id, incoming.user_id, incoming.user_name, incoming.text, incoming.is_dm) \
        == ("discord", COMMAND_CHANNEL_ID, OWNER["id"], "alice", "/missed 24h", False)
    assert intents[0] & MESSAGE_CONTENT_INTENT


def test_the_bots_own_command_list_is_accepted_by_discord(chat_errors, caplog):
    from bot.commands.dispatch import command_specs      # the command layer's real list

    async def scenario():
        fake = FakeDiscord()
        await fake.start()
        transport = DiscordTransport(bot_settings().discord, command_specs(), guild_ready_timeout=0.05)
        with fake.patched_urls():
            try:
                await transport.start(RecordingHandler())
                (sync,) = await fake.wait_for_calls("sync_commands")
            finally:
                await transport.stop()
                await fake.stop()
        return sync

    sync = run(scenario())
    assert [c["name"] for c in sync.body] == [s.name for s in command_specs()]
    assert "slash commands not registered" not in caplog.text      # the fake refuses what Discord refuses


def test_prefix_command_is_answered_in_the_channel(chat_errors):
    handler = RecordingHandler(Reply.text("Farm OK", "3 harvesters"))

    async def scenario():
        async with discord_bot(handler, chat_errors) as (fake, _):
            await fake.send_message("hello there")            # not a command: ignored
            await fake.send_message("!Farm")
            return await fake.wait_for_calls("create_message")

    (sent,) = run(scenario())
    assert sent.path.endswith(f"/channels/{COMMAND_CHANNEL_ID}/messages")
    assert sent.shown == "Farm OK\n3 harvesters"
    assert [i.text for i in handler.received] == ["/farm"]


def test_commands_still_work_after_the_gateway_asks_to_reconnect(chat_errors):
    handler = RecordingHandler()

    async def scenario():
        async with discord_bot(handler, chat_errors) as (fake, transport):
            await fake.ask_to_reconnect()
            await fake.wait_for_resume()
            await fake.send_message("!farm")
            return await fake.wait_for_calls("create_message"), transport.healthy

    (sent,), healthy = run(scenario())
    assert sent.shown.startswith("Farm OK")
    assert len(handler.received) == 1 and healthy


def test_alert_reaches_the_alert_channel(chat_errors):
    async def scenario():
        async with discord_bot(RecordingHandler(), chat_errors) as (fake, transport):
            await transport.send_alert(Reply.text("Harvester lost", "farmer-1 / harvester-2 @everyone",
                                                  severity="critical"))
            return fake.calls_of("create_message"), transport.healthy

    (sent,), healthy = run(scenario())
    assert sent.path.endswith(f"/channels/{ALERT_CHANNEL_ID}/messages")
    assert sent.shown == "Harvester lost\nfarmer-1 / harvester-2 @everyone"
    assert sent.embeds[0]["color"] == 0xE53935 and sent.embeds[0]["footer"]["text"] == "critical"
    assert sent.body["allowed_mentions"] == {"parse": []}      # @everyone in a farm string pings nobody
    assert healthy


def test_rate_limit_429_is_waited_out_for_alerts_and_replies(chat_errors):
    async def scenario():
        async with discord_bot(RecordingHandler(), chat_errors) as (fake, transport):
            fake.fail_next("create_message", retry_after=0.3)
            await transport.send_alert(Reply.text("Disk nearly full", "farmer-1 /mnt/d7"))
            fake.fail_next("followup", retry_after=0.3)
            await fake.run_slash("farm")
            return fake.calls_of("create_message"), await fake.wait_for_calls("followup", 2)

    alerts, replies = run(scenario())
    assert len(alerts) == 2 and alerts[0].body == alerts[1].body
    assert replies[0].shown == replies[1].shown == "Farm OK\n3 harvesters, 0 alerts"


def test_unlisted_channel_and_unlisted_user_get_one_refusal_line_and_never_reach_the_handler(chat_errors):
    handler = RecordingHandler()

    async def scenario():
        async with discord_bot(handler, chat_errors, user_ids=[OWNER["id"]]) as (fake, _):
            await fake.send_message("!farm", channel_id=OTHER_CHANNEL_ID)            # channel not listed
            await fake.run_slash("farm", author=STRANGER)                            # user not listed
            return await fake.wait_for_calls("create_message"), await fake.wait_for_calls("followup")

    (in_channel,), (to_stranger,) = run(scenario())
    assert handler.received == []
    assert in_channel.path.endswith(f"/channels/{OTHER_CHANNEL_ID}/messages")
    assert in_channel.shown.startswith("Not allowed") and OTHER_CHANNEL_ID in in_channel.shown
    assert to_stranger.shown.startswith("Not allowed") and STRANGER["id"] in to_stranger.shown
    assert to_stranger.body["flags"] & fake_discord.EPHEMERAL     # a slash command's refusal: for the stranger only
    for call in (in_channel, to_stranger):
        assert "\n" not in call.shown


def test_direct_messages_are_answered_for_listed_users_only(chat_errors):
    handler = RecordingHandler()
    owner_dm, stranger_dm = fake_discord.snowflake(), fake_discord.snowflake()

    async def scenario():
        async with discord_bot(handler, chat_errors, user_ids=[OWNER["id"]]) as (fake, _):
            await fake.send_message("!farm", channel_id=owner_dm, direct=True)
            await fake.send_message("!farm", channel_id=stranger_dm, author=STRANGER, direct=True)
            return await fake.wait_for_calls("create_message", 2)

    sent = {c.path.split("/")[-2]: c.shown for c in run(scenario())}
    assert sent[owner_dm].startswith("Farm OK")
    assert sent[stranger_dm].startswith("Not allowed") and STRANGER["id"] in sent[stranger_dm]
    (incoming,) = handler.received
    assert (incoming.chat_id, incoming.user_id, incoming.is_dm) == (owner_dm, OWNER["id"], True)


def test_long_reply_is_split_within_embed_limits_with_code_blocks_intact(chat_errors):
    rows = [f"harvester-{i:03d}  missed {i % 7:>3}  lookup {i / 10:6.1f}s" for i in range(150)]
    handler = RecordingHandler(Reply("Missed signage points", [Section("last 24h", rows, monospace=True)]))

    async def scenario():
        async with discord_bot(handler, chat_errors) as (fake, _):
            await fake.send_message("!missed 24h")
            await wait_until_async(lambda: any(rows[-1] in c.shown for c in fake.calls_of("create_message")),
                                   10, "the last row sent", interval=0.02)
            return fake.calls_of("create_message")

    messages = run(scenario())
    assert len(messages) == 2                 # 6,000 characters of embeds a message (the fake refuses more)
    fields = [f for m in messages for e in m.embeds for f in e["fields"]]
    assert len(fields) >= 7 and all(len(f["value"]) <= 1024 for f in fields)
    assert all(f["value"].startswith("```\n") and f["value"].endswith("\n```") for f in fields)
    assert [f["name"] for f in fields] == ["last 24h"] + ["last 24h (continued)"] * (len(fields) - 1)
    lines = [line for f in fields for line in f["value"].split("\n") if line != "```"]
    assert messages[0].embeds[0]["title"] == "Missed signage points" and lines == rows


def test_undeliverable_alert_raises_transport_error_and_marks_unhealthy(chat_errors):
    async def scenario():
        async with discord_bot(RecordingHandler(), chat_errors) as (fake, transport):
            fake.fail_next("create_message", status=403)
            with pytest.raises(TransportError, match="Missing Access"):
                await transport.send_alert(Reply.text("RAM full", "farmer-1"))
            unhealthy = transport.health.failures, transport.health.last_error
            await transport.send_alert(Reply.text("RAM full", "farmer-1"))     # the outbox's retry
            return unhealthy, transport.healthy

    (failures, last_error), healthy_again = run(scenario())
    assert failures == 1 and "Missing Access" in last_error and healthy_again


def test_a_failed_reply_is_one_log_line_that_the_harness_sees(chat_errors):
    async def scenario():
        async with discord_bot(RecordingHandler(), chat_errors) as (fake, transport):
            fake.fail_next("create_message", status=403)
            await fake.send_message("!farm")
            await fake.wait_for_calls("create_message")
            await wait_until_async(lambda: not transport.healthy, 5, "the transport to be unhealthy", interval=0.02)
            return transport.health.last_error

    assert "Missing Access" in run(scenario())
    (logged,) = chat_errors.take()
    assert logged.startswith("bot.transports.discord_transport: discord: reply to '/farm'") and "Missing Access" in logged


def test_the_harness_notices_exceptions_escaping_discord_events_and_slash_commands(chat_errors):
    """Proof that the error collection works: a bug past the transport's own catch is not silent."""
    handler = RecordingHandler()
    handler.reply = "not a Reply"            # rendering it raises inside the event / the slash callback

    async def scenario():
        async with discord_bot(handler, chat_errors) as (fake, _):
            await fake.send_message("!farm")
            await fake.run_slash("farm")
            for _ in range(200):
                if len([e for e in chat_errors.errors if e.startswith("discord ")]) == 2:
                    break
                await asyncio.sleep(0.05)

    run(scenario())
    caught = sorted(e for e in chat_errors.take() if e.startswith("discord "))
    assert caught[0] == "discord on_error in on_message"
    assert caught[1].startswith("discord tree.on_error: CommandInvokeError")


def test_without_the_message_content_intent_start_says_how_to_enable_it(chat_errors):
    async def scenario():
        fake = FakeDiscord(message_content_allowed=False)
        await fake.start()
        transport = DiscordTransport(DiscordSettings(token=TOKEN), COMMANDS, guild_ready_timeout=0.05)
        with fake.patched_urls():
            try:
                with pytest.raises(TransportError, match="enable the Message Content intent"):
                    await transport.start(RecordingHandler())
            finally:
                await transport.stop()
                await fake.stop()

    run(scenario())


def test_a_handler_bug_is_one_line_to_the_user_and_a_log_entry(chat_errors):
    handler = RecordingHandler()
    handler.fail = True

    async def scenario():
        async with discord_bot(handler, chat_errors) as (fake, _):
            await fake.run_slash("farm")
            return await fake.wait_for_calls("followup")

    (sent,) = run(scenario())
    assert "internal error, see the bot log" in sent.shown and "\n" not in sent.shown
    (logged,) = chat_errors.take()
    assert "'/farm' from discord user" in logged


def test_a_refused_token_is_one_clear_error(chat_errors):
    async def scenario():
        fake = FakeDiscord(token="something-else")
        await fake.start()
        transport = DiscordTransport(DiscordSettings(token=TOKEN), COMMANDS, guild_ready_timeout=0.05)
        with fake.patched_urls():
            try:
                with pytest.raises(TransportError, match="token was refused"):
                    await transport.start(RecordingHandler())
            finally:
                await transport.stop()
                await fake.stop()

    run(scenario())
