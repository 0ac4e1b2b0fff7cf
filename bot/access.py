"""Who may use the bot: allowed chats per transport, optional user list, admins for /sql.

Everyone else gets one refusal line (naming the id to configure, so the owner can set the bot
up from the chat itself) and the command handler is never called for them.
"""
from __future__ import annotations

import logging
from dataclasses import dataclass, replace

from bot.alerts.messages import ACKNOWLEDGE, MUTES
from bot.reply import Button, ErrorReply, Reply
from bot.settings import BotSettings
from bot.transports.base import CommandHandler, Incoming, Suggester

log = logging.getLogger(__name__)

PRESS = "/press "       # what a button press arrives as (bot/commands/buttons.py)


@dataclass(frozen=True)
class AccessList:
    config_key: str                # "bot.discord", named in refusals
    chat_key: str                  # "command_channel_ids" / "command_chat_ids"
    chats: frozenset[str]
    users: frozenset[str]          # empty = anyone in an allowed chat
    admins: frozenset[str]
    everyone_is_admin: bool = False    # the console: whoever has it has the machine
    alert_chats: frozenset[str] = frozenset()   # where alerts go: their buttons may be pressed there too

    def refusal(self, incoming: Incoming) -> str | None:
        """None when `incoming` may be answered, else the one line to send back. A button press counts
        as its command, with one difference: the alert chats the bot posts its buttons in are allowed."""
        listed = incoming.user_id in self.users or incoming.user_id in self.admins
        pressed_under_alert = _alert_press(incoming.text) and incoming.chat_id in self.alert_chats
        chat_allowed = incoming.chat_id in self.chats or pressed_under_alert or (incoming.is_dm and listed)
        if not chat_allowed and incoming.is_dm:
            return (f"Not allowed: teafarm answers direct messages only from listed users; "
                    f"its owner can add your id {incoming.user_id} to {self.config_key}.user_ids.")
        if not chat_allowed:
            return (f"Not allowed in this chat; its owner can add its id {incoming.chat_id} "
                    f"to {self.config_key}.{self.chat_key}.")
        if self.users and not listed:
            return f"Not allowed: you ({incoming.user_id}) are not in {self.config_key}.user_ids."
        return None

    def is_admin(self, incoming: Incoming) -> bool:
        return self.everyone_is_admin or incoming.user_id in self.admins


def _alert_press(text: str) -> bool:
    """A press of an alert's own buttons (Mute, Acknowledge); any other press data is forged there
    (callback data can be sent by hand) and counts as the command it names: a Refresh of /farm in an
    alert-only chat is refused like /farm is."""
    if not text.startswith(PRESS):
        return False
    action, _ = Button.parse(text[len(PRESS):].strip())
    return action in MUTES or action == ACKNOWLEDGE


def access_lists(settings: BotSettings) -> dict[str, AccessList]:
    discord, telegram = settings.discord, settings.telegram
    return {
        "discord": AccessList("bot.discord", "command_channel_ids", frozenset(discord.command_channel_ids),
                              frozenset(discord.user_ids), frozenset(discord.admin_ids),
                              alert_chats=frozenset([*discord.alert_channel_ids, *(p.id for p in discord.alert_channels)])),
        "telegram": AccessList("bot.telegram", "command_chat_ids", frozenset(telegram.command_chat_ids),
                               frozenset(telegram.user_ids), frozenset(telegram.admin_ids),
                               alert_chats=frozenset([*telegram.alert_chat_ids, *(p.id for p in telegram.alert_chats)])),
        "console": AccessList("bot.console", "", frozenset({"console"}), frozenset(), frozenset(),
                              everyone_is_admin=settings.console.admin),
    }


def guarded(handler: CommandHandler, settings: BotSettings) -> CommandHandler:
    """`handler` for allowed users only, with Incoming.is_admin filled in."""
    lists = access_lists(settings)

    async def guard(incoming: Incoming) -> Reply:
        access = lists.get(incoming.transport)
        refusal = access.refusal(incoming) if access else f"Not allowed: unknown transport {incoming.transport}."
        if refusal:
            log.info("refused %r from %s user %s (%s) in chat %s", incoming.text, incoming.transport,
                     incoming.user_id, incoming.user_name, incoming.chat_id)
            return ErrorReply(refusal)
        return await handler(replace(incoming, is_admin=access.is_admin(incoming)))

    return guard


def guarded_suggestions(suggest: Suggester, settings: BotSettings) -> Suggester:
    """`suggest` for those who may use the command; nobody else learns the farm's names from it."""
    lists = access_lists(settings)

    async def guard(incoming: Incoming, kind: str, typed: str) -> list[str]:
        access = lists.get(incoming.transport)
        if access is None or access.refusal(incoming):
            return []
        return await suggest(incoming, kind, typed)

    return guard
