"""A small Discord (REST API v10 + gateway) on 127.0.0.1 for discord.py to talk to.

The gateway speaks HELLO / heartbeat ACK / IDENTIFY -> READY + GUILD_CREATE / RESUME, with real
zlib-stream compression when the client asks for it; tests push MESSAGE_CREATE and
INTERACTION_CREATE events (slash commands, button presses, autocomplete). The REST side answers
the calls discord.py makes for login, command sync, messages (JSON or multipart with files),
interaction callbacks, followups and edits, keeps the bot's messages so their buttons can be
pressed, records every call, rejects what Discord rejects (content over 2,000 characters, embeds
or buttons over their limits), and can answer the next call of a route with a 429 (with the `Via`
header real Discord sends: without it discord.py takes a 429 for a Cloudflare ban).

discord.py has no option for its server URLs: `patched_urls` points the two class attributes at
this fake for the duration of a test (chat-offline.md option A) and restores them.
"""
from __future__ import annotations

import contextlib
import itertools
import json
import re
import time
import zlib
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any

import discord.gateway
import discord.http
import yarl
from aiohttp import WSMsgType, web

from tests.helpers.waiting import wait_until_async

TOKEN = "MTAwMDAwMDAwMDAwMDAwMDAx.fake.discord-token-for-tests"
CONTENT_LIMIT = 2000
MESSAGE_CONTENT_INTENT = 1 << 15
DISCORD_EPOCH_MS = 1420070400000
_counter = itertools.count(1)


def snowflake() -> str:
    return str(((int(time.time() * 1000) - DISCORD_EPOCH_MS) << 22) | (next(_counter) & 0xFFF))


APP_ID = snowflake()
GUILD_ID = snowflake()
COMMAND_CHANNEL_ID = snowflake()
ALERT_CHANNEL_ID = snowflake()
OTHER_CHANNEL_ID = snowflake()
NOW = datetime.now(timezone.utc).isoformat()


def user(name: str, bot: bool = False) -> dict:
    return {"id": snowflake(), "username": name, "discriminator": "0", "global_name": name.title(),
            "avatar": None, "bot": bot, "flags": 0, "public_flags": 0}


BOT_USER = {**user("farmbot", bot=True), "verified": True, "mfa_enabled": False}
OWNER = user("alice")
STRANGER = user("mallory")


def member(of: dict) -> dict:
    return {"user": of, "roles": [], "joined_at": NOW, "deaf": False, "mute": False, "flags": 0,
            "nick": None, "avatar": None, "pending": False, "permissions": "1071698660929"}


def text_channel(channel_id: str, name: str) -> dict:
    return {"id": channel_id, "type": 0, "guild_id": GUILD_ID, "name": name, "position": 0,
            "permission_overwrites": [], "nsfw": False, "topic": None, "last_message_id": None,
            "rate_limit_per_user": 0, "parent_id": None}


CHANNELS = [text_channel(COMMAND_CHANNEL_ID, "farm-commands"), text_channel(ALERT_CHANNEL_ID, "farm-alerts"),
            text_channel(OTHER_CHANNEL_ID, "general")]
GUILD = {"id": GUILD_ID, "name": "Tea Farm", "unavailable": False, "owner_id": OWNER["id"], "member_count": 3,
         "large": False, "joined_at": NOW, "icon": None, "features": [], "verification_level": 0,
         "default_message_notifications": 0, "explicit_content_filter": 0, "mfa_level": 0, "nsfw_level": 0,
         "premium_tier": 0, "preferred_locale": "en-US", "system_channel_id": None,
         "roles": [{"id": GUILD_ID, "name": "@everyone", "permissions": "1071698660929", "position": 0,
                    "color": 0, "hoist": False, "managed": False, "mentionable": False, "flags": 0}],
         "channels": CHANNELS, "members": [member(OWNER), member(BOT_USER)], "emojis": [], "stickers": [],
         "threads": [], "voice_states": [], "presences": [], "stage_instances": [],
         "guild_scheduled_events": [], "soundboard_sounds": []}


@dataclass
class Call:
    route: str                     # "create_message", "interaction_callback", "followup", "sync_commands", ...
    path: str
    body: Any
    query: dict[str, str]
    at: float = field(default_factory=time.monotonic)   # when it arrived (rate-limit tests compare these)
    files: list[tuple[str, bytes]] = field(default_factory=list)   # uploads (multipart): file name and bytes

    @property
    def shown(self) -> str:
        """What a user reads of the message: its content, then each embed's title, description and
        fields ("name: value"), one per line."""
        return shown_text(self.body or {})

    @property
    def embeds(self) -> list[dict]:
        return (self.body or {}).get("embeds") or []

    @property
    def buttons(self) -> list[dict]:
        return [c for row in (self.body or {}).get("components") or [] for c in row.get("components", [])]


def shown_text(message: dict) -> str:
    lines = [message["content"]] if message.get("content") else []
    for embed in message.get("embeds") or []:
        lines += [embed[k] for k in ("title", "description") if embed.get(k)]
        lines += [f"{f['name']}: {f['value']}" for f in embed.get("fields", [])]
    return "\n".join(lines)


@dataclass
class _Gateway:
    ws: web.WebSocketResponse
    deflate: Any                   # a zlib compressobj for zlib-stream, None for plain text frames
    sequence: int = 0

    async def send(self, payload: dict) -> None:
        if payload.get("op") == 0:
            self.sequence += 1
            payload["s"] = self.sequence
        data = json.dumps(payload)
        if self.deflate is None:
            await self.ws.send_str(data)
        else:      # one shared stream per connection, each message ends in a sync flush (00 00 ff ff)
            await self.ws.send_bytes(self.deflate.compress(data.encode()) + self.deflate.flush(zlib.Z_SYNC_FLUSH))


@dataclass
class FakeDiscord:
    token: str = TOKEN
    calls: list[Call] = field(default_factory=list)
    identified_intents: list[int] = field(default_factory=list)
    compressions: list[str] = field(default_factory=list)     # what each gateway connection asked for
    resumes: int = 0
    message_content_allowed: bool = True     # False: like a bot whose Message Content intent is off
    port: int = 0
    dm_channels: dict[str, str] = field(default_factory=dict)   # direct-message channel id -> its user's id
    closed_dms: set[str] = field(default_factory=set)    # users who share no server with the bot: messages refused (50007)

    def __post_init__(self) -> None:
        self._gateways: list[_Gateway] = []
        self._failures: dict[str, list[tuple[int, float]]] = {}
        self._runner: web.AppRunner | None = None
        self.messages: dict[str, dict] = {}          # what the bot posted, by message id, as it looks now
        self._originals: dict[str, str] = {}         # interaction token -> the message it answers or was pressed on

    # ---- lifecycle -----------------------------------------------------------------------------

    async def start(self) -> None:
        app = web.Application()
        api = "/api/v10"
        routes = [
            ("GET", "/users/@me", "me", self._me),
            ("GET", "/oauth2/applications/@me", "application", self._application),
            ("PUT", "/applications/{app}/commands", "sync_commands", self._sync_commands),
            ("PUT", "/applications/{app}/guilds/{guild}/commands", "sync_commands", self._sync_commands),
            ("POST", "/channels/{channel}/messages", "create_message", self._create_message),
            ("POST", "/users/@me/channels", "create_dm", self._create_dm),
            ("POST", "/interactions/{interaction}/{itoken}/callback", "interaction_callback", self._callback),
            ("POST", "/webhooks/{app}/{itoken}", "followup", self._followup),
            ("PATCH", "/webhooks/{app}/{itoken}/messages/@original", "edit_original", self._edit_original),
            ("DELETE", "/webhooks/{app}/{itoken}/messages/@original", "delete_original", self._delete_original),
        ]
        for method, path, name, answer in routes:
            app.router.add_route(method, api + path, self._recorded(name, answer))
        app.router.add_get("/gateway", self._gateway)
        app.router.add_route("*", "/{tail:.*}", self._unknown)
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", self.port)   # a set port: started late, or again after stop()
        await site.start()
        self.port = site._server.sockets[0].getsockname()[1]

    async def stop(self) -> None:
        for gateway in list(self._gateways):     # each closed one removes itself from the list
            await gateway.ws.close()
        if self._runner:
            await self._runner.cleanup()

    @contextlib.contextmanager
    def patched_urls(self):
        """Point discord.py at this fake (tests only); restored afterwards."""
        saved = discord.http.Route.BASE, discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY
        discord.http.Route.BASE = f"http://127.0.0.1:{self.port}/api/v10"
        discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY = yarl.URL(f"ws://127.0.0.1:{self.port}/gateway")
        try:
            yield
        finally:
            discord.http.Route.BASE, discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY = saved

    # ---- what a test does -------------------------------------------------------------------

    async def send_message(self, content: str, channel_id: str = COMMAND_CHANNEL_ID, author: dict = OWNER,
                           direct: bool = False) -> None:
        """A user writes `content` in a guild channel, or to the bot directly (channel_id is then the DM's)."""
        where = {} if direct else {"guild_id": GUILD_ID, "member": member(author)}
        await self._dispatch("MESSAGE_CREATE", {
            "id": snowflake(), "channel_id": channel_id, **where, "author": author,
            "content": content, "timestamp": NOW, "edited_timestamp": None,
            "tts": False, "mention_everyone": False, "mentions": [], "mention_roles": [], "attachments": [],
            "embeds": [], "pinned": False, "type": 0, "flags": 0, "components": []})

    async def run_slash(self, name: str, options: dict[str, str] | None = None,
                        channel_id: str = COMMAND_CHANNEL_ID, author: dict = OWNER) -> str:
        """A user runs /name; returns the interaction id (its callback and followups name it)."""
        interaction_id = snowflake()
        channel = next(c for c in CHANNELS if c["id"] == channel_id)
        await self._dispatch("INTERACTION_CREATE", {
            "id": interaction_id, "application_id": APP_ID, "type": 2, "token": f"itoken-{interaction_id}",
            "version": 1, "guild_id": GUILD_ID, "channel_id": channel_id, "channel": channel,
            "data": {"id": snowflake(), "name": name, "type": 1, "guild_id": GUILD_ID,
                     "options": [{"name": k, "type": 3, "value": v} for k, v in (options or {}).items()]},
            "member": member(author), "app_permissions": "1071698660929", "locale": "en-US",
            "guild_locale": "en-US", "entitlements": [], "authorizing_integration_owners": {"0": GUILD_ID},
            "context": 0, "attachment_size_limit": 8388608})
        return interaction_id

    async def press(self, message_id: str, custom_id: str, author: dict = OWNER) -> str:
        """A user presses the button `custom_id` under the bot's message `message_id`; returns the
        interaction token (its callback and edits name it)."""
        interaction_id = snowflake()
        message = self.messages[message_id]
        channel = next(c for c in CHANNELS if c["id"] == message["channel_id"])
        token = f"itoken-{interaction_id}"
        self._originals[token] = message_id
        await self._dispatch("INTERACTION_CREATE", {
            **self._interaction_base(interaction_id, token, channel, author), "type": 3, "message": message,
            "data": {"custom_id": custom_id, "component_type": 2}})
        return token

    async def autocomplete(self, name: str, option: str, typed: str, author: dict = OWNER,
                           channel_id: str = COMMAND_CHANNEL_ID) -> str:
        """A user types `typed` into option `option` of /name; returns the interaction id (its
        callback, type 8, carries the suggestions)."""
        interaction_id = snowflake()
        channel = next(c for c in CHANNELS if c["id"] == channel_id)
        await self._dispatch("INTERACTION_CREATE", {
            **self._interaction_base(interaction_id, f"itoken-{interaction_id}", channel, author), "type": 4,
            "data": {"id": snowflake(), "name": name, "type": 1, "guild_id": GUILD_ID,
                     "options": [{"name": option, "type": 3, "value": typed, "focused": True}]}})
        return interaction_id

    @staticmethod
    def _interaction_base(interaction_id: str, token: str, channel: dict, author: dict) -> dict:
        return {"id": interaction_id, "application_id": APP_ID, "token": token, "version": 1, "guild_id": GUILD_ID,
                "channel_id": channel["id"], "channel": channel, "member": member(author),
                "app_permissions": "1071698660929", "locale": "en-US", "guild_locale": "en-US", "entitlements": [],
                "authorizing_integration_owners": {"0": GUILD_ID}, "context": 0, "attachment_size_limit": 8388608}

    def callback_of(self, interaction: str) -> Call:
        """The interaction callback for an interaction id or token."""
        return next(c for c in self.calls_of("interaction_callback") if f"/{interaction}/" in c.path + "/")

    async def ask_to_reconnect(self) -> None:
        """Gateway op 7, as Discord sends during its maintenance: the client must come back and RESUME."""
        for gateway in list(self._gateways):
            self._gateways.remove(gateway)
            await gateway.send({"op": 7, "d": None, "s": None, "t": None})

    async def wait_for_resume(self, timeout: float = 10.0) -> None:
        await wait_until_async(lambda: self.resumes and self._gateways, timeout, "the client to resume", interval=0.02)

    def fail_next(self, route: str, retry_after: float = 0.3, status: int = 429) -> None:
        """The next call of `route` gets a 429 telling the client to wait `retry_after` seconds
        (or, with another status, that error: 403 is "Missing Access")."""
        self._failures.setdefault(route, []).append((status, retry_after))

    async def wait_for_calls(self, route: str, count: int = 1, timeout: float = 10.0) -> list[Call]:
        await wait_until_async(lambda: len(self.calls_of(route)) >= count, timeout,
                               f"{count} {route} call(s) at the fake Discord", interval=0.02)
        return self.calls_of(route)

    def calls_of(self, route: str) -> list[Call]:
        return [c for c in self.calls if c.route == route]

    # ---- gateway --------------------------------------------------------------------------------

    async def _dispatch(self, event: str, data: dict) -> None:
        for gateway in self._gateways:
            await gateway.send({"op": 0, "t": event, "d": data})

    async def _gateway(self, request: web.Request) -> web.WebSocketResponse:
        ws = web.WebSocketResponse()
        await ws.prepare(request)
        self.compressions.append(request.query.get("compress", ""))
        gateway = _Gateway(ws, zlib.compressobj() if request.query.get("compress") == "zlib-stream" else None)
        await gateway.send({"op": 10, "d": {"heartbeat_interval": 41250}, "s": None, "t": None})
        async for message in ws:
            if message.type != WSMsgType.TEXT:
                continue
            payload = json.loads(message.data)
            if payload["op"] == 1:                          # heartbeat
                await gateway.send({"op": 11, "d": None, "s": None, "t": None})
            elif payload["op"] == 2:                        # identify
                if payload["d"]["token"] != self.token:
                    await ws.close(code=4004, message=b"Authentication failed.")
                    break
                if payload["d"]["intents"] & MESSAGE_CONTENT_INTENT and not self.message_content_allowed:
                    await ws.close(code=4014, message=b"Disallowed intent(s).")
                    break
                self.identified_intents.append(payload["d"]["intents"])
                await self._identified(gateway)
            elif payload["op"] == 6:                        # resume
                self.resumes += 1
                self._gateways.append(gateway)
                await gateway.send({"op": 0, "t": "RESUMED", "d": {}})
        if gateway in self._gateways:
            self._gateways.remove(gateway)
        return ws

    async def _identified(self, gateway: _Gateway) -> None:
        await gateway.send({"op": 0, "t": "READY", "d": {
            "v": 10, "user": BOT_USER, "session_id": "fake-session-1",
            "resume_gateway_url": f"ws://127.0.0.1:{self.port}/gateway",   # never real Discord
            "guilds": [{"id": GUILD_ID, "unavailable": True}], "application": {"id": APP_ID, "flags": 0},
            "shard": [0, 1]}})
        await gateway.send({"op": 0, "t": "GUILD_CREATE", "d": GUILD})
        self._gateways.append(gateway)

    # ---- REST -------------------------------------------------------------------------------------

    def _recorded(self, route: str, answer):
        async def handle(request: web.Request) -> web.Response:
            webhook_path = route in ("interaction_callback", "followup", "edit_original", "delete_original")   # no Authorization
            if not webhook_path and request.headers.get("Authorization") != f"Bot {self.token}":
                return jresp({"message": "401: Unauthorized", "code": 0}, 401)
            body, files = await _body(request)
            call = Call(route, request.path, body, dict(request.query), files=files)
            self.calls.append(call)
            failures = self._failures.get(route)
            if failures:
                status, retry_after = failures.pop(0)
                if status != 429:
                    return jresp({"message": "Missing Access", "code": 50001}, status)
                return jresp({"message": "You are being rate limited.", "retry_after": retry_after, "global": False},
                             429, {"Via": "1.1 google", "X-RateLimit-Scope": "user"})
            return await answer(request, call)
        return handle

    async def _unknown(self, request: web.Request) -> web.Response:
        return jresp({"message": f"the fake does not implement {request.method} {request.path}", "code": 0}, 404)

    async def _me(self, request: web.Request, call: Call) -> web.Response:
        return jresp(BOT_USER)

    async def _application(self, request: web.Request, call: Call) -> web.Response:
        return jresp({"id": APP_ID, "name": "FarmBot", "description": "", "icon": None, "bot_public": True,
                      "bot_require_code_grant": False, "owner": OWNER, "verify_key": "0" * 64, "flags": 0})

    async def _sync_commands(self, request: web.Request, call: Call) -> web.Response:
        for command in call.body:        # Discord's limits; one bad command fails the whole sync
            described = [command, *command.get("options", [])]
            if not re.fullmatch(r"[-_a-z0-9]{1,32}", command["name"]) or \
                    any(not 1 <= len(d["description"]) <= 100 for d in described) or \
                    any(not re.fullmatch(r"[-_a-z0-9]{1,32}", o["name"]) for o in command.get("options", [])):
                return jresp({"message": "Invalid Form Body", "code": 50035, "errors": {"name": command["name"]}}, 400)
        return jresp([{**c, "id": snowflake(), "application_id": APP_ID, "version": snowflake()} for c in call.body])

    async def _create_dm(self, request: web.Request, call: Call) -> web.Response:
        """Discord opens a DM channel for any user id; sending to it is what fails (50007)."""
        user_id = str(call.body["recipient_id"])
        channel_id = next((c for c, u in self.dm_channels.items() if u == user_id), None) or snowflake()
        self.dm_channels[channel_id] = user_id
        return jresp({"id": channel_id, "type": 1, "last_message_id": None, "flags": 0,
                      "recipients": [{**user("someone"), "id": user_id}]})

    async def _create_message(self, request: web.Request, call: Call) -> web.Response:
        if self.dm_channels.get(request.match_info["channel"]) in self.closed_dms:
            return jresp({"message": "Cannot send messages to this user", "code": 50007}, 403)
        rejected = _refused(call.body, call.files)
        return rejected or jresp(self._kept(_message(request.match_info["channel"], call.body, call.files)))

    async def _callback(self, request: web.Request, call: Call) -> web.Response:
        data = call.body.get("data") or {}
        kind = call.body["type"]    # 4: message now, 5: "thinking", 6: update later, 7: update now, 8: suggestions
        token = request.match_info["itoken"]
        if kind == 8 and len(data.get("choices", [])) > 25:
            return _invalid("choices", "Must be 25 or fewer in length.")
        rejected = _refused(data, call.files) if kind in (4, 7) else None
        if rejected:
            return rejected
        if kind in (6, 7, 8):           # about a message that exists (or none)
            message = self._edit(self._originals[token], data, call.files) if kind == 7 else None
        else:
            message = self._kept(_message(COMMAND_CHANNEL_ID, data if kind == 4 else {"flags": data.get("flags", 0)}))
            self._originals[token] = message["id"]
        return jresp({"interaction": {"id": request.match_info["interaction"], "type": 2,
                                      "response_message_id": message["id"] if message else None,
                                      "response_message_loading": kind == 5,
                                      "response_message_ephemeral": bool(data.get("flags", 0) & EPHEMERAL)},
                      "resource": {"type": kind, **({"message": message} if kind in (4, 7) else {})}})

    async def _followup(self, request: web.Request, call: Call) -> web.Response:
        rejected = _refused(call.body, call.files)
        return rejected or jresp({**self._kept(_message(COMMAND_CHANNEL_ID, call.body, call.files)),
                                  "webhook_id": APP_ID, "application_id": APP_ID})

    async def _edit_original(self, request: web.Request, call: Call) -> web.Response:
        rejected = _refused(call.body, call.files, edit=True)
        message_id = self._originals.get(request.match_info["itoken"])
        if rejected or message_id is None:
            return rejected or jresp({"message": "Unknown Message", "code": 10008}, 404)
        return jresp(self._edit(message_id, call.body, call.files))

    async def _delete_original(self, request: web.Request, call: Call) -> web.Response:
        self.messages.pop(self._originals.get(request.match_info["itoken"], ""), None)
        return web.Response(status=204)

    def _kept(self, message: dict) -> dict:
        self.messages[message["id"]] = message
        return message

    def _edit(self, message_id: str, body: dict, files: list[tuple[str, bytes]]) -> dict:
        message = self.messages[message_id]
        for key in ("content", "embeds", "components"):
            if key in body:
                message[key] = body[key]
        if files or "attachments" in body:
            message["attachments"] = _attachments(files)
        message["edited_timestamp"] = datetime.now(timezone.utc).isoformat()
        return message


EPHEMERAL = 1 << 6
EMBED_LIMITS = {"title": 256, "description": 4096}
FIELD_LIMITS = {"name": 256, "value": 1024}


def _refused(body: dict, files: list, edit: bool = False) -> web.Response | None:
    """Discord's checks of a message body: content, embed and component limits, and not empty."""
    content, embeds = body.get("content") or "", body.get("embeds") or []
    if len(content) > CONTENT_LIMIT:
        return _invalid("content", f"Must be {CONTENT_LIMIT} or fewer in length.")
    if not edit and not (content or embeds or files or body.get("flags")):
        return jresp({"message": "Cannot send an empty message", "code": 50006}, 400)
    if len(embeds) > 10:
        return _invalid("embeds", "Must be 10 or fewer in length.")
    total = 0
    for embed in embeds:
        fields = embed.get("fields", [])
        checked = [(embed, EMBED_LIMITS), *((f, FIELD_LIMITS) for f in fields)]
        if len(fields) > 25 or any(len(part.get(k) or "") > n for part, limits in checked for k, n in limits.items()) \
                or any(not f.get("name") or not f.get("value") for f in fields):
            return _invalid("embeds", "Embed over a limit or with an empty field.")
        total += sum(len(part.get(k) or "") for part, limits in checked for k in limits)
        total += len((embed.get("footer") or {}).get("text", ""))
    if total > 6000:
        return _invalid("embeds", "Embed size exceeds maximum size of 6000")
    rows = body.get("components") or []
    buttons = [c for row in rows for c in row.get("components", [])]
    if len(rows) > 5 or any(len(r.get("components", [])) > 5 for r in rows) or \
            any(len(b.get("custom_id", "")) > 100 or len(b.get("label", "")) > 80 for b in buttons):
        return _invalid("components", "Components over a limit.")
    return None


def _invalid(key: str, message: str) -> web.Response:
    return jresp({"message": "Invalid Form Body", "code": 50035, "errors": {key: {"_errors": [
        {"code": "BASE_TYPE_MAX_LENGTH", "message": message}]}}}, 400)


async def _body(request: web.Request) -> tuple[Any, list[tuple[str, bytes]]]:
    """JSON, or multipart (discord.py's uploads): payload_json and files[n]."""
    if not request.can_read_body:
        return None, []
    if not request.content_type.startswith("multipart/"):
        return await request.json(), []
    body, files = None, []
    reader = await request.multipart()
    async for part in reader:
        if part.name == "payload_json":
            body = json.loads(await part.text())
        else:
            files.append((part.filename or "", bytes(await part.read())))
    return body, files


def _attachments(files: list[tuple[str, bytes]]) -> list[dict]:
    return [{"id": snowflake(), "filename": name, "size": len(data), "url": f"https://cdn.invalid/{name}",
             "proxy_url": f"https://cdn.invalid/{name}"} for name, data in files]


def _message(channel_id: str, body: dict, files: list[tuple[str, bytes]] = ()) -> dict:
    return {"id": snowflake(), "channel_id": channel_id, "guild_id": GUILD_ID, "author": BOT_USER,
            "content": body.get("content") or "", "timestamp": NOW, "edited_timestamp": None, "tts": False,
            "mention_everyone": False, "mentions": [], "mention_roles": [], "attachments": _attachments(list(files)),
            "embeds": body.get("embeds") or [], "pinned": False, "type": 0, "flags": body.get("flags") or 0,
            "components": body.get("components") or []}


def jresp(payload: Any, status: int = 200, headers: dict | None = None) -> web.Response:
    """discord.py decodes JSON only when Content-Type is exactly application/json (no charset)."""
    return web.Response(body=json.dumps(payload).encode(), status=status,
                        headers={"Content-Type": "application/json", **(headers or {})})
