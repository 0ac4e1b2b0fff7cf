"""Telegram through python-telegram-bot: /commands by long polling, replies and alerts as HTML.

429s are retried by PTB's AIORateLimiter (it waits the retry_after Telegram names); every farm
and user string is HTML-escaped by bot.render; messages are split under Telegram's 4,096 limit.
"""
from __future__ import annotations

import logging
from typing import Sequence

from telegram import BotCommand, LinkPreviewOptions, Update
from telegram.constants import ParseMode
from telegram.error import InvalidToken, TelegramError
from telegram.ext import AIORateLimiter, Application, CommandHandler as PTBCommandHandler, ContextTypes, \
    MessageHandler, filters

from bot import render
from bot.reply import Reply
from bot.transports.base import CommandHandler, CommandSpec, Incoming, Transport, TransportError, answer, \
    command_line
from bot.transports.settings import TelegramSettings

log = logging.getLogger(__name__)

RATE_LIMIT_RETRIES = 3     # 429s retried inside PTB before a send counts as failed
DESCRIPTION_LIMIT = 256    # characters of a command's description in Telegram's menu


class TelegramTransport(Transport):
    name = "telegram"

    def __init__(self, settings: TelegramSettings, commands: Sequence[CommandSpec] = ()) -> None:
        super().__init__()
        self._settings = settings
        self._commands = list(commands)
        self._handler: CommandHandler | None = None
        base = settings.api_base_url.rstrip("/")
        # PTB appends "<token>/<method>"; local Bot API servers use the same layout
        self.application = (Application.builder().token(settings.token)
                            .base_url(f"{base}/bot").base_file_url(f"{base}/file/bot")
                            .rate_limiter(AIORateLimiter(max_retries=RATE_LIMIT_RETRIES))
                            .concurrent_updates(True)     # a slow command does not hold up the next
                            .build())
        only_new = filters.UpdateType.MESSAGE | filters.UpdateType.CHANNEL_POST   # not edits of old commands
        if self._commands:
            self.application.add_handler(
                PTBCommandHandler([c.name for c in self._commands], self._on_command, filters=only_new))
        # unknown /commands too: the command layer answers them with help
        self.application.add_handler(MessageHandler(filters.COMMAND & only_new, self._on_command))
        self.application.add_error_handler(self._on_error)

    async def start(self, handler: CommandHandler) -> None:
        self._handler = handler
        if not self._settings.alert_chat_ids:
            log.warning("telegram: bot.telegram.alert_chat_ids is empty: no alerts go to Telegram")
        try:
            await self.application.initialize()          # getMe: a wrong token fails here
            await self._register_commands()
            await self.application.start()
            await self.application.updater.start_polling(error_callback=self._on_poll_error)
        except InvalidToken as exc:
            self.health.failed(str(exc))
            raise TransportError("telegram: the bot token was refused (bot.telegram.token or TEAFARM_TELEGRAM_TOKEN)") from exc
        except TelegramError as exc:
            self.health.failed(str(exc))
            raise TransportError(f"telegram: cannot start: {exc}") from exc
        log.info("telegram: polling as @%s", self.application.bot.username)

    async def _register_commands(self) -> None:
        if not self._commands:
            return
        try:
            await self.application.bot.set_my_commands(
                [BotCommand(c.name, c.description[:DESCRIPTION_LIMIT]) for c in self._commands])
        except TelegramError as exc:     # the menu is a convenience: commands work without it
            log.warning("telegram: could not register the command menu: %s", exc)

    async def _on_command(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        message, chat, user = update.effective_message, update.effective_chat, update.effective_user
        if message is None or chat is None or not message.text or self._handler is None:
            return
        text = command_text(message.text, context.bot.username)
        if text is None:
            return                       # "/cmd@otherbot" in a group: not for us
        incoming = Incoming(self.name, str(chat.id),
                            str(user.id) if user else "",        # channel posts have no user
                            (user.username or user.full_name) if user else (chat.title or ""),
                            text, is_dm=chat.type == chat.PRIVATE)
        reply = await answer(self._handler, incoming)
        await self._send(chat.id, reply)

    async def send_alert(self, reply: Reply) -> None:
        if not self.application.running:
            raise TransportError("telegram: not started")
        try:
            for chat_id in self._settings.alert_chat_ids:
                await self._send(chat_id, reply)
        except TelegramError as exc:
            self.health.failed(str(exc))
            raise TransportError(f"telegram: alert not delivered: {exc}") from exc

    async def _send(self, chat_id: int | str, reply: Reply) -> None:
        for piece in render.split(render.telegram_html(reply), render.TELEGRAM_LIMIT, render.HTML_FENCE):
            await self.application.bot.send_message(chat_id, piece, parse_mode=ParseMode.HTML,
                                                    link_preview_options=LinkPreviewOptions(is_disabled=True))
        self.health.succeeded()

    async def _on_error(self, update: object, context: ContextTypes.DEFAULT_TYPE) -> None:
        self.health.failed(str(context.error))
        log.error("telegram: handling an update failed: %s", context.error, exc_info=context.error)

    def _on_poll_error(self, error: TelegramError) -> None:
        # PTB retries polling by itself; a warning per failure, the health shows it keeps failing
        self.health.failed(str(error))
        log.warning("telegram: polling failed (retrying): %s", error)

    async def stop(self) -> None:
        app = self.application
        if app.updater and app.updater.running:
            await app.updater.stop()
        if app.running:
            await app.stop()
        await app.shutdown()


def command_text(text: str, bot_username: str | None) -> str | None:
    """"/Missed@farm_bot 24h" -> "/missed 24h"; None when the command names another bot."""
    first, _, rest = text.strip().partition(" ")
    command, _, target = first.partition("@")
    if target and bot_username and target.lower() != bot_username.lower():
        return None
    return command_line(command, rest)
