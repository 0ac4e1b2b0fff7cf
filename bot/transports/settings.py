"""Settings of the chat transports and of who may use the bot (config section `bot`)."""
from __future__ import annotations

from dataclasses import dataclass


@dataclass
class DiscordSettings:
    token: str = ""                    # or TEAFARM_DISCORD_TOKEN


@dataclass
class TelegramSettings:
    token: str = ""                    # or TEAFARM_TELEGRAM_TOKEN
