"""Discord's rich side through the real discord.py against the fake Discord: embeds with pictures,
buttons pressed (also after a restart), refusals only the presser sees, autocomplete and choices."""
from __future__ import annotations

import struct

from bot.access import guarded, guarded_suggestions
from bot.reply import Button, Image, Reply, Section
from bot.transports.base import CommandSpec, Incoming
from bot.transports.discord_transport import DiscordTransport
from tests.bot.transports.test_discord_transport import bot_settings
from tests.bot.transports.test_telegram_rich import png
from tests.helpers import fake_discord
from tests.helpers.chat_harness import run
from tests.helpers.fake_discord import OWNER, STRANGER, FakeDiscord
from tests.helpers.waiting import wait_until_async

COMMANDS = [CommandSpec("farm", "Farm status"),
            CommandSpec("mute", "Silence an alert", "what", "alert, machine or harvester", suggest="target"),
            CommandSpec("chart", "A chart", "what", "what to draw", choices=("missed", "plots"))]
ALERT = Reply("Disk nearly full", [Section(lines=["/mnt/d7: 98 % used", "machine: nas1"])], "warning", at=1_780_000_000,
              images=[Image("disk.png", png(1280, 720), "disk usage")],
              buttons=[Button("Mute 1 h", "mute1h", "17"), Button("Mute 1 d", "mute1d", "17"),
                       Button("Acknowledge", "ack", "17")])
LONG_ALERT = Reply("Plots lost", [Section(lines=["y" * 4000])], "warning", buttons=[Button("Acknowledge", "ack", "18")])
LONG_NOTE = Reply("Acknowledged", [Section(lines=["z" * 1000])])


class ScriptedHandler:
    def __init__(self) -> None:
        self.received: list[Incoming] = []
        self.refreshes = 0

    async def __call__(self, incoming: Incoming) -> Reply:
        self.received.append(incoming)
        if incoming.text == "/press ack:17":
            return Reply("Acknowledged", [Section(lines=["by alice at 12:00:00"])])
        if incoming.text == "/press ack:18":
            return LONG_NOTE
        if incoming.text == "/press mute1h:17":
            return Reply("Muted", [Section(lines=["for 1 h by alice"])])
        if incoming.text.startswith("/press refresh"):
            self.refreshes += 1         # the second fresh answer has grown past one message (6,000 characters)
            lines = [f"plot {i:04d} " + "p" * 90 for i in range(80)] if self.refreshes == 2 else ["3 harvesters"]
            return Reply(f"Farm (refresh {self.refreshes})", [Section(lines=lines)],
                         buttons=[Button("Refresh", "refresh", "/farm")])
        return Reply("Farm", [Section(lines=["3 harvesters"])], buttons=[Button("Refresh", "refresh", "/farm")])


async def suggest_names(incoming: Incoming, kind: str, typed: str) -> list[str]:
    return [n for n in ("disk_full", "disk_gone", "nas1") if n.startswith(typed)] if kind == "target" else []


def test_embeds_buttons_presses_and_suggestions(chat_errors):
    handler = ScriptedHandler()

    async def scenario():
        fake = FakeDiscord()
        await fake.start()
        settings = bot_settings(user_ids=[OWNER["id"]])

        async def connected() -> DiscordTransport:
            transport = DiscordTransport(settings.discord, COMMANDS, guild_ready_timeout=0.05)
            transport.suggest = guarded_suggestions(suggest_names, settings)
            await transport.start(guarded(handler, settings))
            return transport

        with fake.patched_urls():
            transport = await connected()
            try:
                (sync,) = fake.calls_of("sync_commands")
                await transport.send_alert(ALERT)
                (alert,) = fake.calls_of("create_message")
                alert_id = next(iter(fake.messages))
                await fake.press(alert_id, "ack:17")
                await fake.wait_for_calls("edit_original")
                await fake.press(alert_id, "mute1d:17", author=STRANGER)
                (refused,) = await fake.wait_for_calls("followup")
                suggested = await fake.autocomplete("mute", "what", "dis")
                outsider_suggested = await fake.autocomplete("mute", "what", "dis", author=STRANGER)
                await wait_until_async(lambda: len([c for c in fake.calls_of("interaction_callback")
                                                    if c.body["type"] == 8]) == 2, 10, "two autocomplete answers")
                await fake.run_slash("farm")
                (_, farm) = await fake.wait_for_calls("followup", 2)
                farm_id = [m for m in fake.messages.values() if m.get("embeds") and m["embeds"][0].get("title") == "Farm"][0]["id"]
                await fake.press(farm_id, "refresh:/farm")
                await fake.wait_for_calls("edit_original", 2)
                # longer than one message: its start and where the rest is; then short again: no such note
                followups = len(fake.calls_of("followup"))
                await fake.press(farm_id, "refresh:/farm")
                await fake.wait_for_calls("edit_original", 3)
                longer = dict(fake.messages[farm_id])
                await fake.press(farm_id, "refresh:/farm")
                await fake.wait_for_calls("edit_original", 4)
                refreshes = (longer, dict(fake.messages[farm_id]), len(fake.calls_of("followup")) - followups)
                # a restart: the new client knows the buttons of messages the old one sent
                await transport.stop()
                transport = await connected()
                await fake.press(alert_id, "mute1h:17")
                await wait_until_async(lambda: handler.received[-1].text == "/press mute1h:17", 10, "the press after a restart")
                # a long alert pressed twice: the second note would pass 6,000 characters, so only the presser sees it
                await transport.send_alert(LONG_ALERT)
                long_id = [m for m in fake.messages.values() if m.get("embeds") and m["embeds"][0].get("title") == "Plots lost"][0]["id"]
                await fake.press(long_id, "ack:18")
                await fake.wait_for_calls("edit_original", 6)
                await fake.press(long_id, "ack:18")
                over = (await fake.wait_for_calls("followup", 3))[-1]
                return (sync, alert, refused, fake.callback_of(suggested), fake.callback_of(outsider_suggested),
                        farm, fake.calls_of("edit_original"), fake.messages[alert_id], over, fake.messages[long_id],
                        refreshes)
            finally:
                await transport.stop()
                await fake.stop()

    (sync, alert, refused, suggested, outsider_suggested, farm, edits, alert_now, over, long_now,
     (longer, shorter, followups)) = run(scenario(), timeout=40)
    # registered: autocomplete for names from the farm, a fixed list where there is one
    options = {c["name"]: c.get("options", []) for c in sync.body}
    assert options["mute"][0]["autocomplete"] is True
    assert [c["value"] for c in options["chart"][0]["choices"]] == ["missed", "plots"]
    # the alert: an embed coloured by severity, the time in the footer, the chart attached and shown
    (embed,) = alert.embeds
    assert (embed["title"], embed["color"], embed["footer"]["text"]) == ("Disk nearly full", 0xFB8C00, "warning")
    assert embed["timestamp"].startswith("2026-05-28T")
    assert embed["image"]["url"] == "attachment://disk.png"
    ((name, data),) = alert.files
    assert name == "disk.png" and struct.unpack(">II", data[16:24]) == (1280, 720)
    assert [(b["label"], b["custom_id"]) for b in alert.buttons] == [
        ("Mute 1 h", "mute1h:17"), ("Mute 1 d", "mute1d:17"), ("Acknowledge", "ack:17")]
    # acknowledged: the message keeps its embed and shows who did it; the stranger changed nothing
    ack_edit = edits[0]
    assert ack_edit.embeds[0]["fields"][-1] == {"name": "Acknowledged", "value": "by alice at 12:00:00", "inline": False}
    assert ack_edit.embeds[0]["description"] == embed["description"]
    assert [f["name"] for f in alert_now["embeds"][0]["fields"]] == ["Acknowledged", "Muted"]   # after the restart too
    assert alert_now["components"] == alert.body["components"]
    assert refused.body["flags"] & fake_discord.EPHEMERAL and refused.shown.startswith("Not allowed")
    assert [i.text for i in handler.received if i.user_id == STRANGER["id"]] == []
    # autocomplete: names for a user of the bot, nothing for an outsider
    assert [c["value"] for c in suggested.body["data"]["choices"]] == ["disk_full", "disk_gone"]
    assert outsider_suggested.body["data"]["choices"] == []
    # refresh: /farm's message became the fresh answer, its button kept
    assert farm.buttons[0]["custom_id"] == "refresh:/farm"
    assert edits[1].embeds[0]["title"] == "Farm (refresh 1)" and edits[1].buttons[0]["custom_id"] == "refresh:/farm"
    assert [i.text for i in handler.received if i.text.startswith("/press")] == [
        "/press ack:17", *["/press refresh:/farm"] * 3, "/press mute1h:17", "/press ack:18", "/press ack:18"]
    # a fresh answer longer than one message: the message shows its start and says where the rest is,
    # nothing is posted; the next, short again, leaves no such note
    assert followups == 0
    assert longer["embeds"][0]["title"] == "Farm (refresh 2)" and "plot 0000" in fake_discord.shown_text(longer)
    assert "plot 0079" not in fake_discord.shown_text(longer)
    assert longer["content"] == "\N{HORIZONTAL ELLIPSIS} /farm for the rest"
    assert [b["custom_id"] for row in longer["components"] for b in row["components"]] == ["refresh:/farm"]
    assert shorter["embeds"][0]["title"] == "Farm (refresh 3)" and not shorter.get("content")
    # an answer past the embed's limits: the message keeps one note, the second goes to the presser only
    assert [f["name"] for f in long_now["embeds"][0]["fields"]] == ["Acknowledged"]
    assert over.body["flags"] & fake_discord.EPHEMERAL and over.shown.startswith("Acknowledged")
