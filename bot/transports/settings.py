"""Settings of the chat transports and of who may use the bot (config sections `bot.discord`,
`bot.telegram`, `bot.console`).

Chat, channel and user ids are snowflakes too big for some YAML tools: they may be written as
numbers or text and are always kept as text. Each field's constraints sit beside it
(teafarm/typed_config.py runs them: `teafarm config check` and every start).
"""
from __future__ import annotations

import re
from dataclasses import dataclass

from teafarm.typed_config import http_url, no_spaces, setting


def _discord_id(text: str) -> str | None:
    return None if re.fullmatch(r"[0-9]{1,20}", text) else f"a Discord id is a number, got {text!r}"


def _telegram_chat(text: str) -> str | None:
    if re.fullmatch(r"-?[0-9]{1,20}|@[A-Za-z0-9_]{1,64}", text):
        return None
    return f"a Telegram chat is a number (e.g. -1001234567890) or an @channel name, got {text!r}"


def _telegram_user(text: str) -> str | None:
    return None if re.fullmatch(r"[0-9]{1,20}", text) else f"a Telegram user id is a number, got {text!r}"


@dataclass
class DiscordSettings:
    token: str = setting("", check=no_spaces)                    # or TEAFARM_DISCORD_TOKEN
    guild_ids: list[str] = setting(factory=list, each=_discord_id)  # servers whose slash commands are synced at start ([] = global, slow to appear)
    alert_channel_ids: list[str] = setting(factory=list, each=_discord_id)    # channels that receive alerts
    command_channel_ids: list[str] = setting(factory=list, each=_discord_id)  # channels where commands are answered
    user_ids: list[str] = setting(factory=list, each=_discord_id)   # [] = anyone in a command channel; else only these users
    admin_ids: list[str] = setting(factory=list, each=_discord_id)  # may also use /sql (count as listed users)
    prefix: str = "!"                  # text commands: "!farm" (needs the Message Content intent; "" = none)


@dataclass
class TelegramSettings:
    token: str = setting("", check=no_spaces)                    # or TEAFARM_TELEGRAM_TOKEN
    # or your local Bot API server, e.g. http://127.0.0.1:8081
    api_base_url: str = setting("https://api.telegram.org", check=lambda url: http_url(url) if url else "must not be empty")
    alert_chat_ids: list[str] = setting(factory=list, each=_telegram_chat)    # chats (or @channel names) that receive alerts
    command_chat_ids: list[str] = setting(factory=list, each=_telegram_chat)  # chats where commands are answered
    user_ids: list[str] = setting(factory=list, each=_telegram_user)  # [] = anyone in a command chat; else only these users
    admin_ids: list[str] = setting(factory=list, each=_telegram_user)  # may also use /sql (count as listed users)


@dataclass
class ConsoleSettings:
    enabled: bool = False              # also talk on the console when a chat token is set (always on without one)
    admin: bool = True                 # the console user may use /sql (they can read the database anyway)
