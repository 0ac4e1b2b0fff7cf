"""Telegram through python-telegram-bot: /commands by long polling, replies and alerts as HTML.

Every farm and user string is HTML-escaped by bot.render; messages are split under Telegram's
4,096 limit (counted on the text as shown), threaded to the question, in its forum topic; pictures
go as photos, buttons as an inline keyboard whose presses come back as "/press <action>:<target>".
PTB's AIORateLimiter paces the sends (Telegram's 30 messages/s, 20/min per group);
a 429 comes back to the transport as RateLimited and is waited out as long as Telegram asks
(Transport.send_patiently), for replies and alerts alike. Staying connected: a start that fails
is tried again by Transport.keep_connected; after a drop PTB polls again by itself.
"""
from __future__ import annotations

import asyncio
import functools
import html
import logging
import warnings
from dataclasses import dataclass
from datetime import timedelta
from typing import Any, Callable, Sequence

from telegram import BotCommand, InlineKeyboardButton, InlineKeyboardMarkup, LinkPreviewOptions, Message, \
    ReplyParameters, Update
from telegram.constants import ParseMode
from telegram.error import BadRequest, Forbidden, InvalidToken, RetryAfter, TelegramError
from telegram.ext import AIORateLimiter, Application, CallbackQueryHandler, CommandHandler as PTBCommandHandler, \
    ContextTypes, MessageHandler, filters
from telegram.request import HTTPXRequest
from telegram.warnings import PTBDeprecationWarning

from bot import render
from bot.reply import Button, ErrorReply, Reply
from bot.transports.base import ALERT_PATIENCE, REPLY_PATIENCE, Backoff, CommandHandler, CommandSpec, Incoming, \
    ConfiguredTransport, Destination, RateLimited, Refused, Sleep, TransportError, Unreachable, answer, command_line, \
    rest_of
from bot.transports.settings import TelegramSettings, alert_places

log = logging.getLogger(__name__)

DESCRIPTION_LIMIT = 256    # characters of a command's description in Telegram's menu
CALLBACK_DATA_LIMIT = 64   # bytes of a button's callback_data
CALLBACK_ANSWER_LIMIT = 200   # characters of the note shown when a button is pressed
CAPTION_LIMIT = 1024       # characters of a photo's caption
BUTTONS_PER_ROW = 3


@dataclass(frozen=True)
class _Thread:
    """Where an answer goes: threaded to the question, in the forum topic it was asked in."""
    question: int | None = None        # message id of the command
    topic: int | None = None           # message_thread_id of a forum topic

    def placing(self, first: bool) -> dict:
        placing: dict = {"message_thread_id": self.topic} if self.topic else {}
        if first and self.question:
            placing["reply_parameters"] = ReplyParameters(self.question, allow_sending_without_reply=True)
        return placing


def _keyboard(reply: Reply) -> InlineKeyboardMarkup | None:
    """The reply's buttons as an inline keyboard; a button whose data passes Telegram's 64 bytes is left out."""
    buttons = [InlineKeyboardButton(b.label, callback_data=b.data) for b in reply.buttons
               if len(b.data.encode()) <= CALLBACK_DATA_LIMIT]
    if len(buttons) < len(reply.buttons):
        log.warning("telegram: %d button(s) left out: callback data over %d bytes",
                    len(reply.buttons) - len(buttons), CALLBACK_DATA_LIMIT)
    if not buttons:
        return None
    return InlineKeyboardMarkup([buttons[i:i + BUTTONS_PER_ROW] for i in range(0, len(buttons), BUTTONS_PER_ROW)])


class TelegramTransport(ConfiguredTransport):
    name = "telegram"

    def __init__(self, settings: TelegramSettings, commands: Sequence[CommandSpec] = (),
                 backoff: Backoff = Backoff(), sleep: Sleep = asyncio.sleep) -> None:
        super().__init__(backoff, sleep)
        self._settings = settings
        self._commands = list(commands)
        self._handler: CommandHandler | None = None
        self._poll_failing = False
        self._destinations = alert_places(self.name, settings.alert_chat_ids, settings.alert_chats)
        base = settings.api_base_url.rstrip("/")
        # PTB appends "<token>/<method>"; local Bot API servers use the same layout
        self.application = (Application.builder().token(settings.token)
                            .base_url(f"{base}/bot").base_file_url(f"{base}/file/bot")
                            .rate_limiter(_PacingOnly())
                            .get_updates_request(_PollRequest(self._polled))
                            .concurrent_updates(True)     # a slow command does not hold up the next
                            .build())
        only_new = filters.UpdateType.MESSAGE | filters.UpdateType.CHANNEL_POST   # not edits of old commands
        if self._commands:
            self.application.add_handler(
                PTBCommandHandler([c.name for c in self._commands], self._on_command, filters=only_new))
        # unknown /commands too: the command layer answers them with help
        self.application.add_handler(MessageHandler(filters.COMMAND & only_new, self._on_command))
        self.application.add_handler(CallbackQueryHandler(self._on_press))
        self.application.add_error_handler(self._on_error)

    async def start(self, handler: CommandHandler) -> None:
        if self._handler is None and not self._destinations:     # said once, not at every attempt
            log.warning("telegram: bot.telegram.alert_chat_ids and alert_chats are empty: no alerts go to Telegram chats")
        self._handler = handler
        try:
            await self.application.initialize()          # getMe: a wrong token fails here
            await self._register_commands()
            await self.application.start()
            await self.application.updater.start_polling(error_callback=self._on_poll_error)
        except InvalidToken as exc:
            self.health.failed(str(exc))
            raise Refused("telegram: the bot token was refused (bot.telegram.token or TEAFARM_TELEGRAM_TOKEN)") from exc
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
        # the answer is threaded to the question and stays in the forum topic it was asked in
        await self._send(chat.id, reply, thread=_Thread(message.message_id,
                                                        message.message_thread_id if message.is_topic_message else None))

    async def _on_press(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        """A button under one of our messages: handled like the command it stands for (access checks
        included); a refusal or an error is shown to the presser only and changes nothing."""
        query, chat, user = update.callback_query, update.effective_chat, update.effective_user
        if query is None or chat is None or user is None or not query.data or self._handler is None:
            return
        incoming = Incoming(self.name, str(chat.id), str(user.id), user.username or user.full_name,
                            command_line("press", query.data), is_dm=chat.type == chat.PRIVATE)
        reply = await answer(self._handler, incoming)
        message = query.message if isinstance(query.message, Message) else None
        if isinstance(reply, ErrorReply) or message is None:
            await query.answer(reply.title[:CALLBACK_ANSWER_LIMIT], show_alert=True)
            return
        action, target = Button.parse(query.data)
        try:
            if action == "refresh":           # the message becomes the fresh answer (its start, if it is longer)
                await query.edit_message_text(_refreshed(reply, target), parse_mode=ParseMode.HTML,
                                              reply_markup=_keyboard(reply),
                                              link_preview_options=LinkPreviewOptions(is_disabled=True))
            else:                             # the message keeps what it said and shows what was done
                await query.edit_message_text(f"{message.text_html}\n{render.telegram_note(reply)}",
                                              parse_mode=ParseMode.HTML, reply_markup=message.reply_markup,
                                              link_preview_options=LinkPreviewOptions(is_disabled=True))
        except BadRequest as exc:
            # a Refresh that changed nothing ("message is not modified"), or the note would pass 4,096
            # (a long alert, many presses): the press was done, so the presser is told in a notice
            log.info("telegram: message %s not edited after %r: %s", message.message_id, query.data, exc)
            await query.answer(render.plain(reply)[:CALLBACK_ANSWER_LIMIT], show_alert=True)
            return
        await query.answer(reply.title[:CALLBACK_ANSWER_LIMIT])

    async def send_to(self, destination: Destination, reply: Reply) -> None:
        """A chat, or a user's private chat with the bot (its id is the user's). Critical alerts in a
        group mention `mention_ids`; info, news and recoveries arrive silently (`reply.silent`)."""
        if not self.application.running:
            raise TransportError("telegram: not started")
        mention = self._settings.mention_ids if reply.severity == "critical" and not destination.direct else []
        try:
            await self._send(destination.address, reply, ALERT_PATIENCE, mention=mention)
        except Forbidden as exc:
            if destination.direct:     # "bot can't initiate conversation with a user", "bot was blocked by the user"
                raise Unreachable(f"Telegram does not let the bot write to you first ({exc}): open a private chat "
                                  f"with @{self.application.bot.username}, press Start, then /subscribe again") from exc
            self.health.failed(str(exc))
            raise TransportError(f"telegram: alert not delivered to {destination.name}: {exc}") from exc
        except TelegramError as exc:
            self.health.failed(str(exc))
            raise TransportError(f"telegram: alert not delivered to {destination.name}: {exc}") from exc

    async def _send(self, chat_id: int | str, reply: Reply, patience: float = REPLY_PATIENCE,
                    thread: _Thread | None = None, mention: Sequence[str] = ()) -> None:
        """Errors other than a 429 propagate as they are (for a reply: to PTB's error handler). The
        buttons go under the last piece; pictures follow the text, each with its description."""
        thread = thread or _Thread()
        pieces = _mentioning(render.telegram_pieces(reply), mention)
        for index, piece in enumerate(pieces):
            send = functools.partial(self.application.bot.send_message, chat_id, piece, parse_mode=ParseMode.HTML,
                                     disable_notification=reply.silent,
                                     link_preview_options=LinkPreviewOptions(is_disabled=True),
                                     reply_markup=_keyboard(reply) if index == len(pieces) - 1 else None,
                                     **thread.placing(first=index == 0))
            await self.send_patiently(functools.partial(self._send_piece, send), patience)
        for image in reply.images:
            send = functools.partial(self.application.bot.send_photo, chat_id, image.png, filename=image.name,
                                     caption=image.alt[:CAPTION_LIMIT] or None, disable_notification=reply.silent,
                                     **thread.placing(first=False))
            await self.send_patiently(functools.partial(self._send_piece, send), patience)
        self.health.succeeded()

    async def _send_piece(self, send: Callable[[], Any]) -> None:
        try:
            await send()
        except RetryAfter as exc:
            seconds = _seconds(exc)
            raise RateLimited(f"telegram: flood control, retry after {seconds:g} s", seconds) from exc

    async def _on_error(self, update: object, context: ContextTypes.DEFAULT_TYPE) -> None:
        self.health.failed(str(context.error))
        log.error("telegram: handling an update failed: %s", context.error, exc_info=context.error)

    def _on_poll_error(self, error: TelegramError) -> None:
        # PTB retries polling by itself; a warning per failure, the health shows it keeps failing
        self._poll_failing = True
        self.went_down(str(error))
        log.warning("telegram: polling failed (retrying): %s", error)

    def _polled(self) -> None:
        if self._poll_failing:            # Telegram answers again after a failed poll
            self._poll_failing = False
            log.info("telegram: polling works again")
            self.came_up()

    async def stop(self) -> None:
        app = self.application
        if app.updater and app.updater.running:
            await app.updater.stop()
        if app.running:
            await app.stop()
        await app.shutdown()


def _refreshed(reply: Reply, command: str) -> str:
    """The one message a Refresh edits: the whole answer, or its first piece and where the rest is."""
    pieces = render.telegram_pieces(reply)
    if len(pieces) == 1:
        return pieces[0]
    note = rest_of(command)
    first = render.split(render.telegram_html(reply), render.TELEGRAM_LIMIT - len(note) - 1,
                         render.HTML_FENCE, render.VISIBLE)[0]
    return f"{first}\n<i>{html.escape(note, quote=False)}</i>"


def _mentioning(pieces: list[str], user_ids: Sequence[str]) -> list[str]:
    """Mention links first (they notify those users in a group): in the first piece when it surely
    fits (raw HTML is never shorter than its visible text), else as a piece of their own."""
    if not user_ids:
        return pieces
    mention = " ".join(f'<a href="tg://user?id={i}">\N{BELL}</a>' for i in user_ids)
    if pieces and len(mention) + 1 + len(pieces[0]) <= render.TELEGRAM_LIMIT:
        return [f"{mention} {pieces[0]}", *pieces[1:]]
    return [mention, *pieces]


class _PacingOnly(AIORateLimiter):
    """AIORateLimiter's pacing without its retries: its retry loop gives up after max_retries (a reply
    was dropped after four tries), logs each give-up as an error and sleeps where stop() cannot cut
    the wait short; the transport waits out 429s itself (Transport.send_patiently)."""

    async def process_request(self, callback, args, kwargs, endpoint, data, rate_limit_args):
        async def passing_429_on(*a: Any, **kw: Any) -> Any:
            try:
                return await callback(*a, **kw)
            except RetryAfter as exc:            # hidden from AIORateLimiter, raised again below
                raise _Passed(exc) from None

        try:
            return await super().process_request(passing_429_on, args, kwargs, endpoint, data, rate_limit_args)
        except _Passed as passed:
            raise passed.error from None


class _Passed(Exception):
    def __init__(self, error: RetryAfter) -> None:
        super().__init__(str(error))
        self.error = error


class _PollRequest(HTTPXRequest):
    """The getUpdates connection (one, PTB's default), telling the transport each time Telegram answered:
    PTB polls again by itself after a drop but has no hook for "it works again", which the alert
    delivery waits for to send what it kept."""

    def __init__(self, answered: Callable[[], None]) -> None:
        super().__init__(connection_pool_size=1)
        self._answered = answered

    async def do_request(self, *args: Any, **kwargs: Any) -> tuple[int, bytes]:
        code, payload = await super().do_request(*args, **kwargs)
        if code == 200:
            self._answered()
        return code, payload


def _seconds(exc: RetryAfter) -> float:
    """retry_after is an int today and a timedelta in PTB's next major version (or with PTB_TIMEDELTA=1)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", PTBDeprecationWarning)
        value = exc.retry_after
    return value.total_seconds() if isinstance(value, timedelta) else float(value)


def command_text(text: str, bot_username: str | None) -> str | None:
    """"/Missed@farm_bot 24h" -> "/missed 24h"; None when the command names another bot."""
    first, _, rest = text.strip().partition(" ")
    command, _, target = first.partition("@")
    if target and bot_username and target.lower() != bot_username.lower():
        return None
    return command_line(command, rest)
