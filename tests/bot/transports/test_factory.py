"""Transports chosen from the configuration, and the ids they read from it."""
from __future__ import annotations


import pytest

from bot.settings import BotSettings
from bot.transports.apprise_transport import AppriseTransport
from bot.transports.console import ConsoleTransport
from bot.transports.discord_transport import DiscordTransport
from bot.transports.factory import build_transports
from bot.transports.settings import AppriseSettings, AppriseURL, DiscordSettings
from bot.transports.telegram_transport import TelegramTransport
from teafarm.config import Config, parse_config_file
from teafarm.typed_config import ConfigError, to_plain
from tests.helpers.paths import REPO


def kinds(settings: BotSettings) -> list[type]:
    return [type(t) for t in build_transports(settings)]


def test_console_without_any_token():
    assert kinds(BotSettings()) == [ConsoleTransport]


def test_apprise_urls_add_an_alert_only_transport_and_the_console_still_answers():
    settings = BotSettings(apprise=AppriseSettings([AppriseURL("ntfy://ntfy.sh/my-farm")]))
    assert kinds(settings) == [ConsoleTransport, AppriseTransport]


def test_chat_transports_for_their_tokens_and_console_only_when_asked():
    settings = BotSettings()
    settings.discord.token = "d-token"
    settings.telegram.token = "1:t-token"
    assert kinds(settings) == [DiscordTransport, TelegramTransport]
    settings.console.enabled = True
    assert kinds(settings) == [DiscordTransport, TelegramTransport, ConsoleTransport]


def test_ids_may_be_numbers_or_text_and_are_kept_as_text(tmp_path):
    config = tmp_path / "config.yml"
    config.write_text("bot:\n  discord:\n    alert_channel_ids: [1176543210987654321, \"1176543210987654322\"]\n"
                      "  telegram:\n    command_chat_ids: [-1001234567890, \"@farm_alerts\"]\n", encoding="utf-8")
    bot = parse_config_file(config).bot
    assert bot.discord.alert_channel_ids == ["1176543210987654321", "1176543210987654322"]
    assert bot.telegram.command_chat_ids == ["-1001234567890", "@farm_alerts"]


def test_a_discord_id_that_is_not_a_number_is_one_clear_config_error():
    with pytest.raises(ConfigError, match=r"bot.discord.alert_channel_ids: '#alerts' is not a Discord id"):
        DiscordTransport(DiscordSettings(token="x", alert_channel_ids=["#alerts"]))


def test_config_yml_documents_the_transport_defaults():
    documented = parse_config_file(REPO / "config.yml").bot
    for section in ("discord", "telegram", "console", "apprise"):
        assert to_plain(getattr(documented, section)) == to_plain(getattr(Config().bot, section)), section
