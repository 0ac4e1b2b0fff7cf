"""Which transports `teafarm bot` runs: Discord and/or Telegram when their token is set, the
console when neither is (or when bot.console.enabled asks for it too), and Apprise for alerts when
URLs are listed."""
from __future__ import annotations

from typing import Sequence

from bot.settings import BotSettings
from bot.transports.base import CommandSpec, Transport
from bot.transports.console import ConsoleTransport


def build_transports(settings: BotSettings, commands: Sequence[CommandSpec] = ()) -> list[Transport]:
    """`commands` are registered with the chats (slash commands, Telegram's menu)."""
    transports: list[Transport] = []
    if settings.discord.token:
        from bot.transports.discord_transport import DiscordTransport    # imported only when used: heavy
        transports.append(DiscordTransport(settings.discord, commands))
    if settings.telegram.token:
        from bot.transports.telegram_transport import TelegramTransport
        transports.append(TelegramTransport(settings.telegram, commands))
    if not transports or settings.console.enabled:
        transports.append(ConsoleTransport())
    if settings.apprise.urls:         # alerts only: the console still answers commands when no chat is set
        from bot.transports.apprise_transport import AppriseTransport
        transports.append(AppriseTransport(settings.apprise.urls))
    return transports
