"""A small Telegram Bot API server on 127.0.0.1 for python-telegram-bot to talk to.

Speaks the wire format PTB uses (POST <base>/bot<token>/<method>, form-encoded fields with
non-strings JSON-encoded), long-polls getUpdates, records every call, checks HTML parse mode the
way Telegram does (only known tags, balanced, no raw <, > or &; at most 4,096 UTF-16 units of
shown text), and can fail the next call of a method with a 429 or another error. It keeps the bot's
messages (with their entities and keyboards) so a test can press their buttons (`press`: a
callback query) and see them edited; photo uploads (multipart) are recorded as bytes.
"""
from __future__ import annotations

import asyncio
import json
import re
import time
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web

from tests.helpers.waiting import wait_until_async

TOKEN = "7000000001:AAFakeTelegramTokenForTests"
BOT_USER = {"id": 7000000001, "is_bot": True, "first_name": "FarmBot", "username": "farm_test_bot",
            "can_join_groups": True, "can_read_all_group_messages": False, "supports_inline_queries": False}
TEXT_LIMIT = 4096           # UTF-16 units of shown text (markup parsed)
CAPTION_LIMIT = 1024
HTML_TAGS = {"b", "strong", "i", "em", "u", "ins", "s", "strike", "del", "a", "code", "pre", "span",
             "tg-spoiler", "tg-emoji", "blockquote"}
_SCALARS = {"chat_id", "offset", "timeout", "limit", "message_id", "reply_to_message_id", "message_thread_id"}


class TelegramRejects(Exception):
    def __init__(self, code: int, description: str):
        super().__init__(description)
        self.code, self.description = code, description


@dataclass
class Call:
    method: str
    params: dict[str, Any]
    shown_text: str | None = None      # sendMessage, editMessageText: the text a user sees (markup parsed)
    result: Any = None                 # what the fake answered
    at: float = field(default_factory=time.monotonic)   # when it arrived (rate-limit tests compare these)


@dataclass
class Failure:
    code: int
    description: str
    retry_after: int | None = None


@dataclass
class FakeTelegram:
    token: str = TOKEN
    calls: list[Call] = field(default_factory=list)
    updates: list[dict] = field(default_factory=list)
    failures: dict[str, list[Failure]] = field(default_factory=dict)
    not_started: set[int] = field(default_factory=set)   # users who never pressed Start: the bot cannot write to them
    port: int = 0

    def __post_init__(self) -> None:
        self._changed = asyncio.Condition()
        self._closing = False
        self._message_ids = iter(range(1, 1_000_000))
        self.messages: dict[int, dict] = {}       # the bot's messages by id, as they look now (edits included)
        self._runner: web.AppRunner | None = None

    @property
    def api_base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    async def start(self) -> None:
        self._closing = False                # started again after stop(): an outage that ended
        app = web.Application()
        app.router.add_post("/bot{token}/{method}", self._handle)
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", self.port)   # a set port: started late, or again
        await site.start()
        self.port = site._server.sockets[0].getsockname()[1]

    async def stop(self) -> None:
        self._closing = True                 # wake held long polls, or cleanup waits for their timeout
        await self._notify()
        if self._runner:
            await self._runner.cleanup()

    # ---- what a test does -------------------------------------------------------------------

    async def push_text(self, text: str, chat_id: int = 42, user_id: int = 1001, username: str = "alice",
                        chat_type: str = "private", title: str = "Farm group", topic: int | None = None) -> int:
        """A user sends `text` (in forum topic `topic`); a leading /command gets the bot_command entity
        Telegram adds. Returns the message id."""
        message = {"message_id": next(self._message_ids), "date": int(time.time()),
                   "chat": _chat(chat_id, chat_type, username, title),
                   "from": _user(user_id, username), "text": text}
        if topic is not None:
            message.update(message_thread_id=topic, is_topic_message=True)
        if text.startswith("/"):
            message["entities"] = [{"type": "bot_command", "offset": 0, "length": len(text.split()[0])}]
        self.updates.append({"update_id": len(self.updates) + 1, "message": message})
        await self._notify()
        return message["message_id"]

    async def press(self, message_id: int, data: str, user_id: int = 1001, username: str = "alice") -> str:
        """A user presses the button with `data` under the bot's message `message_id`; returns the
        callback query id (answerCallbackQuery names it)."""
        query_id = f"cq-{len(self.updates) + 1}"
        self.updates.append({"update_id": len(self.updates) + 1, "callback_query": {
            "id": query_id, "from": _user(user_id, username), "chat_instance": "ci-1", "data": data,
            "message": self.messages[message_id]}})
        await self._notify()
        return query_id

    def fail_next(self, method: str, code: int = 429, description: str = "", retry_after: int | None = 1) -> None:
        if code == 429:
            description = description or f"Too Many Requests: retry after {retry_after}"
        self.failures.setdefault(method, []).append(Failure(code, description or "Bad Request", retry_after))

    async def wait_for_calls(self, method: str, count: int = 1, timeout: float = 10.0) -> list[Call]:
        await wait_until_async(lambda: len(self.calls_of(method)) >= count, timeout,
                               f"{count} {method} call(s) at the fake Telegram", interval=0.02)
        return self.calls_of(method)

    def calls_of(self, method: str) -> list[Call]:
        return [c for c in self.calls if c.method == method]

    def sent_message_id(self, call: Call) -> int:
        """The id the fake gave the message a sendMessage call created."""
        return call.result["message_id"]

    # ---- the Bot API ---------------------------------------------------------------------------

    async def _notify(self) -> None:
        async with self._changed:
            self._changed.notify_all()

    async def _handle(self, request: web.Request) -> web.Response:
        if request.match_info["token"] != self.token:
            return _error(401, "Unauthorized")
        method = request.match_info["method"]
        try:
            params = _decode(await request.post())
        except ConnectionResetError:     # the client hung up mid-request (PTB stopping)
            return web.Response(status=499)
        call = Call(method, params)
        try:
            failures = self.failures.get(method)
            if failures:
                failure = failures.pop(0)
                self.calls.append(call)
                await self._notify()
                return _error(failure.code, failure.description, failure.retry_after if failure.code == 429 else None)
            answer = getattr(self, f"_api_{method}", None)
            if answer is None:
                raise TelegramRejects(400, f"Bad Request: the fake does not implement {method}")
            result = call.result = await answer(call)
        except TelegramRejects as exc:
            self.calls.append(call)
            await self._notify()
            return _error(exc.code, exc.description)
        if method != "getUpdates":       # polls would flood the call log
            self.calls.append(call)
            await self._notify()
        return web.json_response({"ok": True, "result": result})

    async def _api_getMe(self, call: Call) -> dict:
        return BOT_USER

    async def _api_deleteWebhook(self, call: Call) -> bool:
        return True

    async def _api_setMyCommands(self, call: Call) -> bool:
        for command in call.params.get("commands", []):
            if not re.fullmatch(r"[a-z0-9_]{1,32}", command["command"]) or not command["description"]:
                raise TelegramRejects(400, "Bad Request: BOT_COMMAND_INVALID")
        return True

    async def _api_getUpdates(self, call: Call) -> list[dict]:
        offset = int(call.params.get("offset", 0) or 0)
        timeout = float(call.params.get("timeout", 0) or 0)

        def pending() -> list[dict]:
            return [u for u in self.updates if u["update_id"] >= offset]

        async with self._changed:
            try:
                await asyncio.wait_for(self._changed.wait_for(lambda: pending() or self._closing), timeout)
            except asyncio.TimeoutError:
                pass
        return pending()

    async def _api_sendMessage(self, call: Call) -> dict:
        if call.params["chat_id"] in self.not_started:
            raise TelegramRejects(403, "Forbidden: bot can't initiate conversation with a user")
        shown, entities = _shown(call)
        chat_id = call.params["chat_id"]
        chat = {"id": chat_id, "type": "private", "first_name": "Alice"} if isinstance(chat_id, int) and chat_id > 0 \
            else {"id": chat_id if isinstance(chat_id, int) else -100999, "type": "channel", "title": str(chat_id)}
        message = {"message_id": next(self._message_ids), "date": int(time.time()), "chat": chat,
                   "from": BOT_USER, "text": shown, "entities": entities}
        if call.params.get("reply_markup"):
            message["reply_markup"] = call.params["reply_markup"]
        self.messages[message["message_id"]] = message
        return message

    async def _api_sendPhoto(self, call: Call) -> dict:
        photo = call.params.get("photo")
        if not isinstance(photo, bytes) or not photo:
            raise TelegramRejects(400, "Bad Request: there is no photo in the request")
        if len(call.params.get("caption") or "") > CAPTION_LIMIT:
            raise TelegramRejects(400, "Bad Request: message caption is too long")
        return {"message_id": next(self._message_ids), "date": int(time.time()),
                "chat": {"id": call.params["chat_id"], "type": "private", "first_name": "Alice"}, "from": BOT_USER,
                "photo": [{"file_id": "photo-1", "file_unique_id": "p1", "width": 1280, "height": 720}]}

    async def _api_answerCallbackQuery(self, call: Call) -> bool:
        if len(call.params.get("text") or "") > 200:
            raise TelegramRejects(400, "Bad Request: text is too long")
        return True

    async def _api_editMessageText(self, call: Call) -> dict:
        message = self.messages.get(call.params.get("message_id"))
        if message is None:
            raise TelegramRejects(400, "Bad Request: message to edit not found")
        shown, entities = _shown(call)
        if (shown, entities, call.params.get("reply_markup")) == (message.get("text"), message.get("entities"),
                                                                  message.get("reply_markup")):
            raise TelegramRejects(400, "Bad Request: message is not modified: specified new message content and "
                                       "reply markup are exactly the same as a current content and reply markup of the message")
        message.update(text=shown, entities=entities, edit_date=int(time.time()))
        message.pop("reply_markup", None)
        if call.params.get("reply_markup"):
            message["reply_markup"] = call.params["reply_markup"]
        return message


def _shown(call: Call) -> tuple[str, list[dict]]:
    """A text message's shown text and entities, refused as Telegram refuses them."""
    text = call.params.get("text", "")
    shown, entities = parse_html_entities(text) if call.params.get("parse_mode") == "HTML" else (text, [])
    call.shown_text = shown
    if not shown.strip():
        raise TelegramRejects(400, "Bad Request: message text is empty")
    if len(shown.encode("utf-16-le")) // 2 > TEXT_LIMIT:
        raise TelegramRejects(400, "Bad Request: message is too long")
    return shown, entities


def _chat(chat_id: int, chat_type: str, username: str, title: str) -> dict:
    chat = {"id": chat_id, "type": chat_type}
    chat.update({"first_name": username.title()} if chat_type == "private" else {"title": title, "is_forum": True})
    return chat


def _user(user_id: int, username: str) -> dict:
    return {"id": user_id, "is_bot": False, "first_name": username.title(), "username": username}


_HTML_TOKEN = re.compile(r"<(/?)([a-zA-Z-]+)(\s[^<>]*)?>|&(lt|gt|amp|quot|#\d+|#x[0-9a-fA-F]+);|([<>&])")
_ENTITY_TEXT = {"lt": "<", "gt": ">", "amp": "&", "quot": '"'}
_ENTITY_TYPES = {"b": "bold", "strong": "bold", "i": "italic", "em": "italic", "u": "underline", "ins": "underline",
                 "s": "strikethrough", "strike": "strikethrough", "del": "strikethrough", "code": "code", "pre": "pre",
                 "tg-spoiler": "spoiler", "blockquote": "blockquote"}


def parse_html(text: str) -> str:
    """The text Telegram shows for an HTML-mode message, or TelegramRejects as Telegram would."""
    return parse_html_entities(text)[0]


def parse_html_entities(text: str) -> tuple[str, list[dict]]:
    """The shown text and its entities (bold, pre, ...: offsets in UTF-16 units, as Telegram gives them)."""
    shown, stack, pos, entities = [], [], 0, []

    def offset() -> int:
        return len("".join(shown).encode("utf-16-le")) // 2

    for match in _HTML_TOKEN.finditer(text):
        shown.append(text[pos:match.start()])
        pos = match.end()
        closing, tag, _, entity, raw = match.groups()
        if raw:
            raise TelegramRejects(400, f"Bad Request: can't parse entities: unexpected {raw!r} at byte offset {match.start()}")
        if entity:
            shown.append(_ENTITY_TEXT.get(entity) or chr(int(entity[2:], 16) if entity[1] == "x" else int(entity[1:])))
            continue
        tag = tag.lower()
        if tag not in HTML_TAGS:
            raise TelegramRejects(400, f"Bad Request: can't parse entities: unsupported start tag \"{tag}\"")
        if not closing:
            stack.append((tag, offset()))
            continue
        if not stack or stack[-1][0] != tag:
            raise TelegramRejects(400, f"Bad Request: can't parse entities: can't find end tag corresponding to start tag \"{tag}\"")
        _, start = stack.pop()
        if _ENTITY_TYPES.get(tag) and offset() > start:
            entities.append({"type": _ENTITY_TYPES[tag], "offset": start, "length": offset() - start})
    if stack:
        raise TelegramRejects(400, f"Bad Request: can't parse entities: can't find end tag corresponding to start tag \"{stack[-1][0]}\"")
    shown.append(text[pos:])
    return "".join(shown), sorted(entities, key=lambda e: e["offset"])


def _decode(form) -> dict[str, Any]:
    """PTB sends str values as they are and JSON-encodes everything else."""
    params: dict[str, Any] = {}
    for key, value in form.items():
        if isinstance(value, web.FileField):      # an upload (sendPhoto): its bytes
            params[key] = value.file.read()
            params[f"{key}_filename"] = value.filename
            continue
        if isinstance(value, str) and key != "text" and (value[:1] in "[{" or key in _SCALARS or value in ("true", "false")):
            try:
                value = json.loads(value)
            except ValueError:
                pass
        params[key] = value
    return params


def _error(code: int, description: str, retry_after: int | None = None) -> web.Response:
    body: dict[str, Any] = {"ok": False, "error_code": code, "description": description}
    if retry_after is not None:
        body["parameters"] = {"retry_after": retry_after}
    return web.json_response(body, status=code)
