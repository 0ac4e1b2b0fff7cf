"""Who may use the bot: allowed chats, user lists, DMs, admins; refusals never reach the handler."""
from __future__ import annotations

from bot.access import access_lists, guarded
from bot.settings import BotSettings
from bot.transports.base import Incoming
from bot.transports.settings import AlertPlace, TelegramSettings
from tests.helpers.chat_harness import RecordingHandler, run


def settings() -> BotSettings:
    result = BotSettings()
    result.telegram.command_chat_ids = ["-100123"]
    result.telegram.user_ids = ["1001"]
    result.telegram.admin_ids = ["2002"]
    result.discord.command_channel_ids = ["555"]        # no user list: anyone in that channel
    result.discord.admin_ids = ["9"]
    return result


def ask(transport: str, chat_id: str, user_id: str, is_dm: bool = False):
    handler = RecordingHandler()
    reply = run(guarded(handler, settings())(Incoming(transport, chat_id, user_id, "someone", "/sql select 1", is_dm)))
    return reply, handler.received


def test_listed_user_in_allowed_chat_is_answered_and_not_admin():
    reply, (incoming,) = ask("telegram", "-100123", "1001")
    assert reply.title == "Farm OK" and not incoming.is_admin


def test_admins_count_as_listed_users_and_are_marked():
    _, (incoming,) = ask("telegram", "-100123", "2002")
    assert incoming.is_admin


def test_unlisted_user_in_allowed_chat_is_refused_in_one_line():
    reply, received = ask("telegram", "-100123", "3003")
    assert received == []
    assert reply.sections == [] and "3003" in reply.title and "bot.telegram.user_ids" in reply.title


def test_unlisted_chat_is_refused_naming_the_key_to_set():
    reply, received = ask("discord", "777", "42")
    assert received == []
    assert reply.title == "Not allowed in this chat; its owner can add its id 777 to bot.discord.command_channel_ids."


def test_a_dm_is_answered_only_for_listed_users():
    assert ask("telegram", "1001", "1001", is_dm=True)[1]
    assert ask("discord", "dm-channel", "9", is_dm=True)[1]          # an admin
    reply, received = ask("discord", "dm-channel", "42", is_dm=True)   # no user list does not open DMs
    assert received == [] and "42" in reply.title and "bot.discord.user_ids" in reply.title


def test_no_user_list_means_anyone_in_the_allowed_channel():
    _, (incoming,) = ask("discord", "555", "42")
    assert not incoming.is_admin


def test_unknown_transport_is_refused():
    reply, received = ask("irc", "#farm", "42")
    assert received == [] and reply.title.startswith("Not allowed")


def test_a_press_under_an_alert_is_allowed_in_the_alert_chats_a_command_is_not():
    settings = BotSettings()
    settings.telegram = TelegramSettings(token="t", command_chat_ids=["1"], alert_chat_ids=["2"],
                                         alert_chats=[AlertPlace("3", "critical")], user_ids=["10"])
    telegram = access_lists(settings)["telegram"]
    for chat in ("2", "3"):
        assert telegram.refusal(Incoming("telegram", chat, "10", "alice", "/press ack:4")) is None
        assert telegram.refusal(Incoming("telegram", chat, "10", "alice", "/mute nas1 1h")).startswith("Not allowed")
        assert telegram.refusal(Incoming("telegram", chat, "11", "eve", "/press ack:4")).startswith("Not allowed")
        # a forged Refresh (callback data can be sent by hand) is /farm, which this chat may not ask
        assert telegram.refusal(Incoming("telegram", chat, "10", "alice", "/press refresh:/farm")).startswith("Not allowed")
    assert telegram.refusal(Incoming("telegram", "4", "10", "alice", "/press ack:4")).startswith("Not allowed")
