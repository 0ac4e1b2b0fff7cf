"""Telegram's rich side through the real python-telegram-bot against the fake Bot API: replies
threaded into forum topics, splitting on visible length, photos, inline keyboards and presses."""
from __future__ import annotations

import struct

from bot import render
from bot.access import guarded
from bot.reply import Button, Image, Reply, Section
from bot.transports.base import Incoming
from bot.transports.telegram_transport import TelegramTransport
from tests.bot.transports.test_telegram_transport import DM_CHAT, GROUP_CHAT, bot_settings
from tests.helpers.chat_harness import run
from tests.helpers.fake_telegram import FakeTelegram
from tests.helpers.waiting import wait_until_async

OUTSIDER = 666
ALERT = Reply("Harvester disconnected", [Section(lines=["machine: farmer-1, harvester: h-2 & <co>"])], "critical",
              buttons=[Button("Mute 1 h", "mute1h", "17"), Button("Mute 1 d", "mute1d", "17"),
                       Button("Acknowledge", "ack", "17")])


def png(width: int, height: int) -> bytes:
    """The smallest PNG header a reader checks: signature and IHDR with the size."""
    ihdr = struct.pack(">IIBBBBB", width, height, 8, 6, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + struct.pack(">I", 13) + b"IHDR" + ihdr + b"\0\0\0\0"


class ScriptedHandler:
    """Answers like the command layer would: a long table for /missed, a chart for /chart, and for
    presses what the button stands for."""

    def __init__(self) -> None:
        self.received: list[Incoming] = []
        self.refreshes = 0

    async def __call__(self, incoming: Incoming) -> Reply:
        self.received.append(incoming)
        if incoming.text == "/missed":
            return Reply("Missed", [Section(lines=[f"{i:04d} &&&& <<<< >>>> " + "&" * 60 for i in range(120)])])
        if incoming.text == "/chart":
            return Reply("Chart", [Section(lines=["missed signage points"])],
                         images=[Image("missed-7d.png", png(1280, 720), "missed signage points, 7 days")])
        if incoming.text == "/press ack:17":
            return Reply("Acknowledged", [Section(lines=["by alice at 12:00:00"])])
        if incoming.text == "/press refresh:/farm":
            self.refreshes += 1         # the second fresh answer has grown past one message
            lines = ["3 harvesters"] if self.refreshes == 1 else [f"plot {i:04d} " + "p" * 50 for i in range(120)]
            return Reply(f"Farm (refresh {self.refreshes})", [Section(lines=lines)],
                         buttons=[Button("Refresh", "refresh", "/farm")])
        return Reply("Farm", [Section(lines=["3 harvesters"])], buttons=[Button("Refresh", "refresh", "/farm")])


def test_replies_threads_photos_and_buttons(chat_errors):
    handler = ScriptedHandler()

    async def scenario():
        fake = FakeTelegram()
        await fake.start()
        settings = bot_settings(fake, alert_chat_ids=[str(DM_CHAT)], user_ids=[str(DM_CHAT)])
        transport = TelegramTransport(settings.telegram)
        try:
            await transport.start(guarded(handler, settings))
            # a question in a forum topic: the answer quotes it and stays in the topic
            question = await fake.push_text("/missed", chat_id=GROUP_CHAT, user_id=DM_CHAT, chat_type="supergroup", topic=5)
            await wait_until_async(lambda: any("0119" in (c.shown_text or "") for c in fake.calls_of("sendMessage")),
                                   10, "the whole /missed answer", interval=0.02)
            missed = fake.calls_of("sendMessage")
            await fake.push_text("/chart", chat_id=DM_CHAT, user_id=DM_CHAT)
            (photo,) = await fake.wait_for_calls("sendPhoto")
            # an alert with buttons, pressed by an allowed user, then by an outsider
            await transport.send_alert(ALERT)
            alert = fake.calls_of("sendMessage")[-1]
            alert_id = fake.sent_message_id(alert)
            await fake.press(alert_id, "ack:17", user_id=DM_CHAT)
            (acked,) = await fake.wait_for_calls("editMessageText")
            await fake.press(alert_id, "mute1d:17", user_id=OUTSIDER, username="mallory")
            await fake.wait_for_calls("answerCallbackQuery", 2)
            # /farm with Refresh: the press edits the message with a fresh answer
            await fake.push_text("/farm", chat_id=DM_CHAT, user_id=DM_CHAT)
            await wait_until_async(lambda: any(c.shown_text == "Farm\n3 harvesters" for c in fake.calls_of("sendMessage")),
                                   10, "the /farm answer", interval=0.02)
            farm_id = fake.sent_message_id(fake.calls_of("sendMessage")[-1])
            await fake.press(farm_id, "refresh:/farm", user_id=DM_CHAT)
            edits = await fake.wait_for_calls("editMessageText", 2)
            await fake.wait_for_calls("answerCallbackQuery", 3)
            edits = fake.calls_of("editMessageText")
            # a Refresh whose answer needs two messages: still one message, saying where the rest is
            sent = len(fake.calls_of("sendMessage"))
            await fake.press(farm_id, "refresh:/farm", user_id=DM_CHAT)
            longer = (await fake.wait_for_calls("editMessageText", 3))[2]
            await fake.wait_for_calls("answerCallbackQuery", 4)
            posted = len(fake.calls_of("sendMessage")) - sent
            return question, missed, photo, alert, acked, edits[1], fake.calls_of("answerCallbackQuery"), \
                edits, fake.messages[alert_id], (longer, posted)
        finally:
            await transport.stop()
            await fake.stop()

    question, missed, photo, alert, acked, refreshed, answers, edits, alert_now, (longer, posted) = run(scenario())
    # split on what a user sees (entities count one character, tags none), not on the raw HTML
    visible = sum(len(c.shown_text) for c in missed)
    assert len(missed) == -(-visible // 4096) and all(len(c.shown_text) <= 4096 for c in missed)
    assert sum(len(c.params["text"]) for c in missed) > 2 * visible
    assert missed[0].params["reply_parameters"]["message_id"] == question
    assert all(c.params["message_thread_id"] == 5 for c in missed)
    assert "reply_parameters" not in missed[1].params
    # the chart: a real upload, decoded back to its size
    assert photo.params["photo"][:8] == b"\x89PNG\r\n\x1a\n"
    assert struct.unpack(">II", photo.params["photo"][16:24]) == (1280, 720)
    assert photo.params["photo_filename"] == "missed-7d.png"
    assert photo.params["caption"] == "missed signage points, 7 days"
    # the alert's keyboard: callback data is action and alert id
    keyboard = alert.params["reply_markup"]["inline_keyboard"]
    assert [[b["callback_data"] for b in row] for row in keyboard] == [["mute1h:17", "mute1d:17", "ack:17"]]
    # the acknowledgement: the message keeps its text and formatting, adds who did it, keeps its buttons
    assert acked.shown_text == ("\N{LARGE RED CIRCLE} Harvester disconnected\nmachine: farmer-1, harvester: h-2 & <co>\n"
                                "Acknowledged by alice at 12:00:00")
    assert "<b>Harvester disconnected</b>" in acked.params["text"] and "<i>Acknowledged" in acked.params["text"]
    assert acked.params["reply_markup"] == alert.params["reply_markup"]
    # the outsider: refused in a notice only they see; the handler never ran, the message is unchanged
    assert [i.text for i in handler.received if i.user_id == str(OUTSIDER)] == []
    assert answers[1].params["show_alert"] is True and answers[1].params["text"].startswith("Not allowed")
    assert alert_now["text"] == acked.shown_text and len(edits) == 2
    # refresh: the message became the fresh answer, with its button
    assert refreshed.shown_text == "Farm (refresh 1)\n3 harvesters"
    assert refreshed.params["reply_markup"]["inline_keyboard"][0][0]["callback_data"] == "refresh:/farm"
    assert [i.text for i in handler.received if i.text.startswith("/press")] == [
        "/press ack:17", "/press refresh:/farm", "/press refresh:/farm"]
    # a longer fresh answer: its first piece and where the rest is, in the one message; nothing posted
    assert posted == 0
    assert longer.shown_text.startswith("Farm (refresh 2)\nplot 0000 ") and len(longer.shown_text) <= 4096
    assert longer.shown_text.endswith("\n\N{HORIZONTAL ELLIPSIS} /farm for the rest")
    assert "<i>\N{HORIZONTAL ELLIPSIS} /farm for the rest</i>" in longer.params["text"]
    assert longer.params["reply_markup"]["inline_keyboard"][0][0]["callback_data"] == "refresh:/farm"


def test_a_press_whose_answer_cannot_go_into_the_message_is_told_to_the_presser(chat_errors):
    """Telegram refuses an edit that changes nothing (Refresh with nothing new) and one past 4,096
    characters (the note under a long alert): the press was done all the same, so the presser gets
    its answer in a notice, and nothing counts as an error."""
    same = Reply("Alerts", [Section(lines=["nothing is wrong"])], buttons=[Button("Refresh", "refresh", "/alerts")])
    done = Reply("Acknowledged", [Section(lines=["by alice at 12:00:00 " + "x" * 200])])
    long_alert = Reply("Plots lost", [Section(lines=["y" * 4000])], "warning", buttons=[Button("Acknowledge", "ack", "17")])

    async def handler(incoming: Incoming) -> Reply:
        return done if incoming.text == "/press ack:17" else same

    async def scenario():
        fake = FakeTelegram()
        await fake.start()
        settings = bot_settings(fake, alert_chat_ids=[str(DM_CHAT)], user_ids=[str(DM_CHAT)])
        transport = TelegramTransport(settings.telegram)
        try:
            await transport.start(guarded(handler, settings))
            await fake.push_text("/alerts", chat_id=DM_CHAT, user_id=DM_CHAT)
            (listed,) = await fake.wait_for_calls("sendMessage")
            await fake.press(fake.sent_message_id(listed), "refresh:/alerts", user_id=DM_CHAT)
            await fake.wait_for_calls("answerCallbackQuery")
            await transport.send_alert(long_alert)
            alert = fake.calls_of("sendMessage")[-1]
            await fake.press(fake.sent_message_id(alert), "ack:17", user_id=DM_CHAT)
            answers = await fake.wait_for_calls("answerCallbackQuery", 2)
            return answers, fake.calls_of("editMessageText"), fake.messages[fake.sent_message_id(alert)]["text"]
        finally:
            await transport.stop()
            await fake.stop()

    answers, edits, alert_text = run(scenario())
    assert [(a.params["text"], a.params["show_alert"]) for a in answers] == [
        ("Alerts\nnothing is wrong\n[Refresh]", True), (render.plain(done)[:200], True)]
    assert len(edits) == 2 and "Acknowledged" not in alert_text, "both edits refused, the alert unchanged"
