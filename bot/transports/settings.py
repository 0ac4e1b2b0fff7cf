"""Settings of the chat transports and of who may use the bot (config sections `bot.discord`,
`bot.telegram`, `bot.console`), and of the Apprise destinations (`bot.apprise`).

Chat, channel and user ids are snowflakes too big for some YAML tools: they may be written as
numbers or text and are always kept as text. Each field's constraints sit beside it
(teafarm/typed_config.py runs them: `teafarm config check` and every start).
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field

from bot.transports.base import MIN_SEVERITIES, Destination
from teafarm.typed_config import http_url, no_spaces, setting


def _discord_id(text: str) -> str | None:
    return None if re.fullmatch(r"[0-9]{1,20}", text) else f"a Discord id is a number, got {text!r}"


def _telegram_chat(text: str) -> str | None:
    if re.fullmatch(r"-?[0-9]{1,20}|@[A-Za-z0-9_]{1,64}", text):
        return None
    return f"a Telegram chat is a number (e.g. -1001234567890) or an @channel name, got {text!r}"


def _telegram_user(text: str) -> str | None:
    return None if re.fullmatch(r"[0-9]{1,20}", text) else f"a Telegram user id is a number, got {text!r}"


def _min_severity(text: str) -> str | None:
    return None if text in MIN_SEVERITIES else f"must be critical, warning or info, got {text!r}"


@dataclass
class AlertPlace:
    """A channel or chat that receives the alerts of at least `min_severity`."""
    id: str = ""                                              # the channel's or chat's id
    min_severity: str = setting("info", check=_min_severity)  # critical, warning or info: alerts of this or worse


def _each_place(id_check):
    return lambda place: id_check(place.id)


def alert_places(transport: str, ids: list[str], places: list[AlertPlace]) -> list[Destination]:
    """The destinations of a chat: `alert_*_ids` want every alert, `alert_channels` / `alert_chats` name
    their least severity (and win when an id is in both)."""
    least = {i: "info" for i in ids}
    least.update({p.id: p.min_severity for p in places})
    return [Destination(transport, i, min_severity=severity) for i, severity in least.items()]


@dataclass
class DiscordSettings:
    token: str = setting("", check=no_spaces)                    # or TEAFARM_DISCORD_TOKEN
    guild_ids: list[str] = setting(factory=list, each=_discord_id)  # servers whose slash commands are synced at start ([] = global, slow to appear)
    alert_channel_ids: list[str] = setting(factory=list, each=_discord_id)    # channels that receive alerts
    alert_channels: list[AlertPlace] = setting(factory=list, each=_each_place(_discord_id))  # [{id, min_severity}]: channels that receive alerts of at least that severity
    mention_ids: list[str] = setting(factory=list, each=_discord_id)  # users pinged (<@id>) on critical alerts in channels; nothing else ever pings
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
    alert_chats: list[AlertPlace] = setting(factory=list, each=_each_place(_telegram_chat))  # [{id, min_severity}]: chats that receive alerts of at least that severity
    mention_ids: list[str] = setting(factory=list, each=_telegram_user)  # users mentioned on critical alerts in group chats
    command_chat_ids: list[str] = setting(factory=list, each=_telegram_chat)  # chats where commands are answered
    user_ids: list[str] = setting(factory=list, each=_telegram_user)  # [] = anyone in a command chat; else only these users
    admin_ids: list[str] = setting(factory=list, each=_telegram_user)  # may also use /sql (count as listed users)


@dataclass
class ConsoleSettings:
    enabled: bool = False              # also talk on the console when a chat token is set (always on without one)
    admin: bool = True                 # the console user may use /sql (they can read the database anyway)


def _apprise_url(url: str) -> str | None:
    if not url:
        return "must not be empty"
    from bot.transports.apprise_transport import known_url    # imported only when URLs are configured

    return None if known_url(url) else "not an Apprise URL it knows (see github.com/caronc/apprise/wiki)"


@dataclass
class AppriseURL:
    url: str = setting("", check=_apprise_url)   # e.g. "ntfy://ntfy.sh/my-farm", "pover://user@token", "json://host/path"
    min_severity: str = setting("warning", check=_min_severity)   # critical, warning or info: alerts of this or worse


@dataclass
class AppriseSettings:
    urls: list[AppriseURL] = field(default_factory=list)   # alerts (not commands) to Pushover, ntfy, Slack, email ...
