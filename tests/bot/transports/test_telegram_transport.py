"""The Telegram transport through the real python-telegram-bot against a fake Bot API on 127.0.0.1."""
from __future__ import annotations

import asyncio
import contextlib

import pytest

from bot.access import guarded
from bot.reply import Reply, Section
from bot.settings import BotSettings
from bot.transports.base import CommandSpec, TransportError
from bot.transports.settings import TelegramSettings
from bot.transports.telegram_transport import TelegramTransport
from tests.helpers.chat_harness import RecordingHandler, run
from tests.helpers.fake_telegram import TOKEN, FakeTelegram
from tests.helpers.waiting import wait_until_async

COMMANDS = [CommandSpec("farm", "Farm status"), CommandSpec("missed", "Missed signage points", "window", "1h, 24h or 7d")]
DM_CHAT, GROUP_CHAT, STRANGER_CHAT = 1001, -100123, 666


def bot_settings(fake: FakeTelegram, **overrides) -> BotSettings:
    settings = BotSettings()
    values = dict(token=TOKEN, api_base_url=fake.api_base_url, command_chat_ids=[str(DM_CHAT), str(GROUP_CHAT)],
                  alert_chat_ids=[str(DM_CHAT), str(GROUP_CHAT)])
    settings.telegram = TelegramSettings(**{**values, **overrides})
    return settings


@contextlib.asynccontextmanager
async def telegram_bot(handler, chat_errors, **overrides):
    """A fake Bot API and a started transport whose handler is guarded like the real bot's."""
    fake = FakeTelegram()
    await fake.start()
    settings = bot_settings(fake, **overrides)
    transport = TelegramTransport(settings.telegram, COMMANDS)
    transport.application.add_error_handler(lambda update, context: _collect(chat_errors, context))
    try:
        await transport.start(guarded(handler, settings))
        yield fake, transport
    finally:
        await transport.stop()
        await fake.stop()


async def _collect(chat_errors, context) -> None:
    chat_errors.add(f"PTB error handler: {context.error!r}")


def test_commands_are_registered_and_answered_in_a_dm_and_a_group(chat_errors):
    handler = RecordingHandler(Reply.text("Farm OK", "3 harvesters"))

    async def scenario():
        async with telegram_bot(handler, chat_errors) as (fake, _):
            (menu,) = await fake.wait_for_calls("setMyCommands")
            assert [c["command"] for c in menu.params["commands"]] == ["farm", "missed"]
            await fake.push_text("/farm", chat_id=DM_CHAT, user_id=DM_CHAT)
            (reply,) = await fake.wait_for_calls("sendMessage")
            assert reply.params["chat_id"] == DM_CHAT
            assert reply.params["parse_mode"] == "HTML"
            assert reply.shown_text == "Farm OK\n3 harvesters"
            await fake.push_text("/farm@some_other_bot", chat_id=GROUP_CHAT, chat_type="supergroup")
            await fake.push_text("/missed@farm_test_bot  24h", chat_id=GROUP_CHAT, chat_type="supergroup")
            await fake.wait_for_calls("sendMessage", 2)

    run(scenario())
    first, second = handler.received          # the command for another bot never reached the handler
    assert (first.transport, first.chat_id, first.user_id, first.user_name, first.text, first.is_dm) == \
        ("telegram", str(DM_CHAT), str(DM_CHAT), "alice", "/farm", True)
    assert (second.chat_id, second.text, second.is_dm, second.is_admin) == (str(GROUP_CHAT), "/missed 24h", False, False)


def test_alert_reaches_every_alert_chat(chat_errors):
    async def scenario():
        async with telegram_bot(RecordingHandler(), chat_errors) as (fake, transport):
            await transport.send_alert(Reply.text("Harvester lost", "farmer-1 / harvester-2", severity="critical"))
            return fake.calls_of("sendMessage"), transport.healthy

    sent, healthy = run(scenario())
    assert [c.params["chat_id"] for c in sent] == [DM_CHAT, GROUP_CHAT]
    assert all(c.shown_text.endswith("Harvester lost\nfarmer-1 / harvester-2") for c in sent)
    assert healthy


def test_flood_control_429_is_waited_out_and_the_alert_delivered(chat_errors):
    async def scenario():
        async with telegram_bot(RecordingHandler(), chat_errors, alert_chat_ids=[str(DM_CHAT)]) as (fake, transport):
            fake.fail_next("sendMessage", retry_after=1)
            await transport.send_alert(Reply.text("Disk nearly full", "farmer-1 /mnt/d7"))
            return fake.calls_of("sendMessage")

    refused, delivered = run(scenario())
    assert refused.params == delivered.params     # the same message, sent again after the wait
    assert delivered.shown_text.startswith("Disk nearly full")


def test_unlisted_chat_and_unlisted_user_get_one_refusal_line_and_never_reach_the_handler(chat_errors):
    handler = RecordingHandler()

    async def scenario():
        async with telegram_bot(handler, chat_errors, user_ids=["1001"]) as (fake, _):
            await fake.push_text("/farm", chat_id=STRANGER_CHAT, user_id=STRANGER_CHAT, username="mallory")
            await fake.push_text("/farm", chat_id=GROUP_CHAT, user_id=777, username="eve", chat_type="supergroup")
            return await fake.wait_for_calls("sendMessage", 2)

    to_stranger, to_eve = run(scenario())
    assert handler.received == []
    assert to_stranger.params["chat_id"] == STRANGER_CHAT and to_eve.params["chat_id"] == GROUP_CHAT
    for call in (to_stranger, to_eve):
        assert call.shown_text.startswith("Not allowed") and "\n" not in call.shown_text
    assert "666" in to_stranger.shown_text and "777" in to_eve.shown_text


def test_long_reply_is_split_on_line_boundaries_under_4096_with_pre_blocks_intact(chat_errors):
    rows = [f"harvester-{i:03d}  missed {i % 7:>3}  lookup {i / 10:6.1f}s  <plot & co>" for i in range(300)]
    handler = RecordingHandler(Reply("Missed signage points", [Section("last 24h", rows, monospace=True)]))

    async def scenario():
        async with telegram_bot(handler, chat_errors) as (fake, _):
            await fake.push_text("/missed 24h", chat_id=DM_CHAT, user_id=DM_CHAT)
            await wait_until_async(lambda: any(rows[-1] in (c.shown_text or "") for c in fake.calls_of("sendMessage")),
                                   10, "the last row sent", interval=0.02)
            return fake.calls_of("sendMessage")

    pieces = run(scenario())
    assert len(pieces) >= 3
    for piece in pieces:                      # the fake already rejected unbalanced <pre> or bad entities
        assert len(piece.shown_text) <= 4096   # Telegram counts what it shows, not the markup
        assert piece.params["text"].count("<pre>") == piece.params["text"].count("</pre>") == 1
    shown_lines = "\n".join(p.shown_text for p in pieces).split("\n")
    assert shown_lines == ["Missed signage points", "last 24h", *rows]


def test_farm_strings_are_html_escaped(chat_errors):
    reply = Reply("Plots lost on <plot & co>", [Section("disk <sdb> & </pre>", ["name: a<b>c&amp;"]),
                                               Section(None, ["<i>x</i>"], monospace=True)], severity="warning")

    async def scenario():
        async with telegram_bot(RecordingHandler(), chat_errors, alert_chat_ids=[str(DM_CHAT)]) as (fake, transport):
            await transport.send_alert(reply)
            return fake.calls_of("sendMessage")

    (sent,) = run(scenario())
    assert "&lt;plot &amp; co&gt;" in sent.params["text"]
    assert sent.shown_text.split("\n")[1:] == ["disk <sdb> & </pre>", "name: a<b>c&amp;", "<i>x</i>"]
    assert sent.shown_text.split("\n")[0].endswith("Plots lost on <plot & co>")


def test_a_handler_bug_is_one_line_to_the_user_and_a_log_entry(chat_errors):
    handler = RecordingHandler()
    handler.fail = True

    async def scenario():
        async with telegram_bot(handler, chat_errors) as (fake, _):
            await fake.push_text("/farm", chat_id=DM_CHAT, user_id=DM_CHAT)
            return await fake.wait_for_calls("sendMessage")

    (sent,) = run(scenario())
    assert sent.shown_text.endswith("internal error, see the bot log")
    assert "Traceback" not in sent.params["text"] and "handler bug" not in sent.params["text"]
    (logged,) = chat_errors.take()
    assert "'/farm' from telegram user 1001 failed" in logged


def test_the_harness_notices_an_error_inside_ptb_handling(chat_errors):
    """Proof that the error collection works: a reply Telegram rejects is caught, not silent."""
    async def scenario():
        async with telegram_bot(RecordingHandler(), chat_errors) as (fake, transport):
            fake.fail_next("sendMessage", code=403, description="Forbidden: bot was blocked by the user")
            await fake.push_text("/farm", chat_id=DM_CHAT, user_id=DM_CHAT)
            await fake.wait_for_calls("sendMessage")
            for _ in range(100):
                if chat_errors.errors:
                    break
                await asyncio.sleep(0.05)
            return transport.health

    health = run(scenario())
    errors = chat_errors.take()
    assert any("PTB error handler" in e and "blocked" in e for e in errors)
    assert not health.healthy and "blocked" in health.last_error


def test_undeliverable_alert_raises_transport_error_and_marks_unhealthy(chat_errors):
    async def scenario():
        async with telegram_bot(RecordingHandler(), chat_errors) as (fake, transport):
            fake.fail_next("sendMessage", code=400, description="Bad Request: chat not found")
            with pytest.raises(TransportError, match="Chat not found"):
                await transport.send_alert(Reply.text("RAM full", "farmer-1"))
            return transport.health

    health = run(scenario())
    assert health.failures == 1 and "Chat not found" in health.last_error


def test_a_refused_token_is_one_clear_error(chat_errors):
    async def scenario():
        fake = FakeTelegram(token="something-else")
        await fake.start()
        transport = TelegramTransport(TelegramSettings(token=TOKEN, api_base_url=fake.api_base_url), COMMANDS)
        try:
            with pytest.raises(TransportError, match="token was refused"):
                await transport.start(RecordingHandler())
        finally:
            await transport.stop()
            await fake.stop()

    run(scenario())
