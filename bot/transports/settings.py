"""Settings of the chat transports and of who may use the bot (config sections `bot.discord`,
`bot.telegram`, `bot.console`).

Chat, channel and user ids are snowflakes too big for some YAML tools: they may be written as
numbers or text and are always kept as text.
"""
from __future__ import annotations

from dataclasses import dataclass, field


@dataclass
class DiscordSettings:
    token: str = ""                    # or TEAFARM_DISCORD_TOKEN
    guild_ids: list[str] = field(default_factory=list)           # servers whose slash commands are synced at start ([] = global, slow to appear)
    alert_channel_ids: list[str] = field(default_factory=list)   # channels that receive alerts
    command_channel_ids: list[str] = field(default_factory=list)  # channels where commands are answered
    user_ids: list[str] = field(default_factory=list)            # [] = anyone in a command channel; else only these users
    admin_ids: list[str] = field(default_factory=list)           # may also use /sql (count as listed users)
    prefix: str = "!"                  # text commands: "!farm" (needs the Message Content intent)


@dataclass
class TelegramSettings:
    token: str = ""                    # or TEAFARM_TELEGRAM_TOKEN
    api_base_url: str = "https://api.telegram.org"  # or your local Bot API server, e.g. http://127.0.0.1:8081
    alert_chat_ids: list[str] = field(default_factory=list)      # chats (or @channel names) that receive alerts
    command_chat_ids: list[str] = field(default_factory=list)    # chats where commands are answered
    user_ids: list[str] = field(default_factory=list)            # [] = anyone in a command chat; else only these users
    admin_ids: list[str] = field(default_factory=list)           # may also use /sql (count as listed users)


@dataclass
class ConsoleSettings:
    enabled: bool = False              # also talk on the console when a chat token is set (always on without one)
    admin: bool = True                 # the console user may use /sql (they can read the database anyway)
