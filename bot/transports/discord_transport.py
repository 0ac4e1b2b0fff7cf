"""Discord through discord.py: slash commands and prefix commands ("!farm"), alerts to channels and
users' direct messages.

Slash commands are synced to the configured guilds at start (instant) or globally (slow to
appear). Every reply is a set of embeds within Discord's limits (bot/render.py), its pictures
attached and its buttons under the last message, sent with mentions disabled so a farm string like
"@everyone" pings nobody (a critical alert in a channel pings exactly `mention_ids`). Presses come
back through PressButton (registered at every start: old messages' buttons keep working) as
"/press <action>:<target>"; refusals and errors go only to the one who asked (ephemeral).

429s up to MAX_RATE_LIMIT_WAIT are waited out inside discord.py; a longer one comes back as
RateLimited, which replies wait out (Transport.send_patiently) and alerts hand back to the outbox
with the wait Discord asked for. Staying connected is Transport.keep_connected's job: discord.py
runs with reconnect=False, so it still RESUMEs when Discord asks (op 7, resumable close codes),
but a connection it cannot re-establish ends the client and the keeper starts a new one with the
transport's backoff (discord.py's own loop would retry with waits up to ~17 minutes, logging a
traceback for each).
"""
from __future__ import annotations

import asyncio
import functools
import io
import logging
from typing import Awaitable, Callable, Sequence

import aiohttp
import discord
from discord import app_commands

from bot import render
from bot.reply import Button, ErrorReply, Image, Reply
from bot.transports.base import ALERT_PATIENCE, REPLY_PATIENCE, Backoff, CommandHandler, CommandSpec, \
    ConfiguredTransport, Destination, Incoming, RateLimited, Refused, Sleep, TransportError, Unreachable, answer, \
    command_line, rest_of
from bot.transports.settings import DiscordSettings, alert_places
from teafarm.typed_config import ConfigError

log = logging.getLogger(__name__)

READY_WAIT = 30.0              # seconds start() waits for the gateway before carrying on in the background
MAX_RATE_LIMIT_WAIT = ALERT_PATIENCE   # longer 429 waits raise RateLimited instead of sleeping inside discord.py
DESCRIPTION_LIMIT = 100       # characters of a slash command's or option's description
CHOICES_LIMIT = 25            # choices of an option, and autocomplete suggestions
CHOICE_NAME_LIMIT = 100
BUTTONS_LIMIT = 25            # buttons under a message (5 rows of 5)
BUTTON_LABEL_LIMIT = 80
CUSTOM_ID_LIMIT = 100
GATEWAY_BAD_TOKEN = 4004
GATEWAY_DISALLOWED_INTENTS = 4014
NO_MENTIONS = discord.AllowedMentions.none()
SEND_ERRORS = (discord.DiscordException, aiohttp.ClientError, OSError)


class DiscordTransport(ConfiguredTransport):
    name = "discord"

    def __init__(self, settings: DiscordSettings, commands: Sequence[CommandSpec] = (),
                 guild_ready_timeout: float = 2.0,     # tests shorten discord.py's wait for guilds
                 backoff: Backoff = Backoff(), sleep: Sleep = asyncio.sleep) -> None:
        super().__init__(backoff, sleep)
        self._settings = settings
        self._commands = list(commands)
        self._guild_ready_timeout = guild_ready_timeout
        self._guild_ids = _snowflakes(settings.guild_ids, "bot.discord.guild_ids")
        _snowflakes(settings.alert_channel_ids, "bot.discord.alert_channel_ids")     # one clear line for a wrong id
        _snowflakes([c.id for c in settings.alert_channels], "bot.discord.alert_channels")
        self._destinations = alert_places(self.name, settings.alert_channel_ids, settings.alert_channels)
        self._mention_ids = _snowflakes(settings.mention_ids, "bot.discord.mention_ids")
        self._handler: CommandHandler | None = None
        self._runner: asyncio.Task | None = None
        self._ready = asyncio.Event()
        self._new_client()

    def _new_client(self) -> None:
        """A discord.py Client cannot be started again once closed: every new connection gets its own."""
        intents = discord.Intents.default()
        intents.message_content = True         # prefix commands read the message text
        self.client = discord.Client(intents=intents, allowed_mentions=NO_MENTIONS,
                                     max_ratelimit_timeout=MAX_RATE_LIMIT_WAIT,
                                     guild_ready_timeout=self._guild_ready_timeout)
        self.tree = app_commands.CommandTree(self.client)
        for spec in self._commands:
            self.tree.add_command(self._slash_command(spec))
        # buttons of every message ever sent, this run or an earlier one, come back through PressButton
        self.client.add_dynamic_items(PressButton)
        self.client.teafarm_press = self._on_press
        self.client.setup_hook = self._sync_commands
        self.client.on_ready = self._on_ready
        self.client.on_resumed = self._on_ready
        self.client.on_disconnect = self._on_disconnect
        self.client.on_message = self._on_message

    # ---- connection ----------------------------------------------------------------------------

    async def start(self, handler: CommandHandler) -> None:
        if self._handler is None and not self._destinations:     # said once, not at every reconnect
            log.warning("discord: bot.discord.alert_channel_ids and alert_channels are empty: no alerts go to Discord channels")
        self._handler = handler
        if self.client.is_closed():            # an earlier attempt (kept connected) ended
            self._new_client()
        self._ready.clear()
        # reconnect=False: a connection discord.py cannot resume ends the runner and the keeper takes over
        self._runner = asyncio.create_task(self.client.start(self._settings.token, reconnect=False),
                                           name="discord-gateway")
        ready = asyncio.create_task(self._ready.wait())
        try:
            await asyncio.wait({self._runner, ready}, timeout=READY_WAIT, return_when=asyncio.FIRST_COMPLETED)
        finally:
            ready.cancel()
        if self._runner.done():
            raise self._start_error(self._runner.exception())
        if not self._ready.is_set():
            log.warning("discord: gateway not ready after %.0f s, still connecting", READY_WAIT)
        self._runner.add_done_callback(self._on_runner_done)

    def _start_error(self, exc: BaseException | None) -> TransportError:
        self.health.failed(str(exc))
        # with reconnect=False discord.py hands on the gateway's close codes as they are
        code = exc.code if isinstance(exc, discord.ConnectionClosed) else None
        if isinstance(exc, discord.LoginFailure) or code == GATEWAY_BAD_TOKEN:
            return Refused("discord: the bot token was refused (bot.discord.token or TEAFARM_DISCORD_TOKEN)")
        if isinstance(exc, discord.PrivilegedIntentsRequired) or code == GATEWAY_DISALLOWED_INTENTS:
            return Refused("discord: enable the Message Content intent for the bot "
                           "(Developer Portal > your app > Bot > Privileged Gateway Intents)")
        return TransportError(f"discord: cannot connect: {exc}")

    def _on_runner_done(self, runner: asyncio.Task) -> None:
        """The client ended without stop(): the connection is gone for good, the keeper reconnects."""
        if not runner.cancelled():
            self.lost(f"discord: connection lost: {runner.exception() or 'closed'}")

    async def _on_ready(self) -> None:
        self._ready.set()
        self.came_up()
        log.info("discord: connected as %s", self.client.user)

    async def _on_disconnect(self) -> None:
        # until discord.py has resumed (or the keeper has reconnected), the transport counts as failing
        self.went_down("gateway disconnected")

    async def _sync_commands(self) -> None:
        """Runs after login, before the gateway: register the slash commands with Discord."""
        try:
            for guild_id in self._guild_ids:
                guild = discord.Object(guild_id)
                self.tree.copy_global_to(guild=guild)
                await self.tree.sync(guild=guild)
            if not self._guild_ids:
                await self.tree.sync()
        except SEND_ERRORS as exc:     # prefix commands still work without them
            log.warning("discord: slash commands not registered (%s); invite the bot with the "
                        "applications.commands scope and check bot.discord.guild_ids", exc)

    async def stop(self) -> None:
        if self._runner:
            self._runner.remove_done_callback(self._on_runner_done)    # our own close is no lost connection
        if not self.client.is_closed():
            await self.client.close()
        if self._runner:
            await asyncio.gather(self._runner, return_exceptions=True)

    # ---- commands --------------------------------------------------------------------------------

    def _slash_command(self, spec: CommandSpec) -> app_commands.Command:
        if spec.argument:
            @app_commands.rename(argument=spec.argument)
            @app_commands.describe(argument=(spec.argument_description or spec.argument)[:DESCRIPTION_LIMIT])
            async def callback(interaction: discord.Interaction, argument: str | None = None) -> None:
                await self._on_slash(interaction, command_line(spec.name, argument or ""))
            if spec.choices:          # a fixed set: Discord offers exactly these
                callback = app_commands.choices(argument=[app_commands.Choice(name=c, value=c)
                                                          for c in spec.choices[:CHOICES_LIMIT]])(callback)
            elif spec.suggest:        # names from the farm, offered as the user types
                async def suggest(interaction: discord.Interaction, typed: str) -> list[app_commands.Choice[str]]:
                    names = await self.suggest(self._incoming(interaction, command_line(spec.name)), spec.suggest, typed)
                    return [app_commands.Choice(name=n[:CHOICE_NAME_LIMIT], value=n[:CHOICE_NAME_LIMIT])
                            for n in names[:CHOICES_LIMIT]]
                callback = app_commands.autocomplete(argument=suggest)(callback)
        else:
            async def callback(interaction: discord.Interaction) -> None:
                await self._on_slash(interaction, command_line(spec.name))
        # Discord refuses the whole sync when one description passes 100 characters
        return app_commands.Command(name=spec.name, description=spec.description[:DESCRIPTION_LIMIT], callback=callback)

    def _incoming(self, interaction: discord.Interaction, text: str) -> Incoming:
        return Incoming(self.name, str(interaction.channel_id), str(interaction.user.id), interaction.user.name,
                        text, is_dm=interaction.guild_id is None)

    async def _on_slash(self, interaction: discord.Interaction, text: str) -> None:
        incoming = self._incoming(interaction, text)
        try:
            await interaction.response.defer(thinking=True)    # Discord drops an interaction unanswered for 3 s
        except SEND_ERRORS as exc:
            self._reply_failed(incoming, exc)
            return
        reply = await answer(self._handler, incoming)
        if isinstance(reply, ErrorReply):
            # only the one who asked sees a refusal or an error: the public "thinking" message goes
            try:
                await interaction.delete_original_response()
            except SEND_ERRORS as exc:
                self._reply_failed(incoming, exc)
                return
            await self._reply(incoming, reply, functools.partial(interaction.followup.send, ephemeral=True))
            return
        await self._reply(incoming, reply, interaction.followup.send)

    async def _on_press(self, interaction: discord.Interaction, data: str) -> None:
        """A button under one of our messages: handled like the command it stands for (access checks
        included); a refusal or an error is shown to the presser only and changes nothing."""
        incoming = self._incoming(interaction, command_line("press", data))
        try:
            await interaction.response.defer()               # "the message will be updated"
            reply = await answer(self._handler, incoming)
            action, target = Button.parse(data)
            if isinstance(reply, ErrorReply):
                await interaction.followup.send(render.plain(reply), ephemeral=True, allowed_mentions=NO_MENTIONS)
            elif action == "refresh":           # the message becomes the fresh answer (its start, if it is longer)
                (embeds, *rest) = render.discord_embeds(reply)
                await interaction.edit_original_response(
                    content=rest_of(target) if rest else None,       # None: no note left from an earlier press
                    embeds=[discord.Embed.from_dict(e) for e in embeds], view=_view(reply),
                    attachments=_files(reply.images), allowed_mentions=NO_MENTIONS)
            else:                               # the message keeps what it said and shows what was done
                embeds = list(interaction.message.embeds) if interaction.message else []
                if embeds:
                    embeds[-1] = embeds[-1].copy().add_field(name=reply.title, value="\n".join(
                        line for s in reply.sections for line in s.lines)[:1024] or "\u200b", inline=False)
                try:
                    await interaction.edit_original_response(embeds=embeds, allowed_mentions=NO_MENTIONS)
                except discord.HTTPException as exc:
                    if exc.status != 400:
                        raise
                    # the note would pass an embed's limits (25 fields, 6,000 characters: a long alert,
                    # many presses): the press was done, so the presser is told instead
                    log.info("discord: message not edited after %r: %s", data, exc)
                    await interaction.followup.send(render.plain(reply), ephemeral=True, allowed_mentions=NO_MENTIONS)
        except SEND_ERRORS as exc:
            self._reply_failed(incoming, exc)

    async def _on_message(self, message: discord.Message) -> None:
        prefix = self._settings.prefix
        if message.author.bot or not prefix or not message.content.startswith(prefix):
            return
        command, _, argument = message.content[len(prefix):].strip().partition(" ")
        if not command:
            return
        incoming = Incoming(self.name, str(message.channel.id), str(message.author.id), message.author.name,
                            command_line(command, argument), is_dm=message.guild is None)
        reply = await answer(self._handler, incoming)
        await self._reply(incoming, reply, message.channel.send)

    async def _reply(self, incoming: Incoming, reply: Reply, send: Callable[..., Awaitable]) -> None:
        try:
            for message in messages(reply):
                await self.send_patiently(functools.partial(_sent, send, message), REPLY_PATIENCE)
        except TransportError as exc:
            self._reply_failed(incoming, exc)
            return
        self.health.succeeded()

    def _reply_failed(self, incoming: Incoming, exc: Exception) -> None:
        """One log line instead of discord.py's traceback; the health shows it."""
        self.health.failed(str(exc))
        log.error("discord: reply to %r in channel %s failed: %s", incoming.text, incoming.chat_id, exc)

    # ---- alerts ------------------------------------------------------------------------------------

    async def send_to(self, destination: Destination, reply: Reply) -> None:
        """A channel, or a user's direct message. Critical alerts in a channel ping `mention_ids` (and
        only them); info, news and recoveries arrive without a sound (`reply.silent`)."""
        if self.client.user is None or self.client.is_closed():
            raise TransportError("discord: not connected")
        try:
            channel = await self._channel(destination)
            send = functools.partial(channel.send, silent=reply.silent)
            for index, message in enumerate(messages(reply)):
                if index == 0 and reply.severity == "critical" and not destination.direct:
                    message["mention"] = self._mention_ids
                await self.send_patiently(functools.partial(_sent, send, message), ALERT_PATIENCE)
        except RateLimited:
            raise                      # not a failure: the outbox waits as long as Discord asked
        except TransportError as exc:
            if destination.direct and isinstance(exc.__cause__, discord.Forbidden):   # 50007: not to this user
                raise Unreachable("Discord does not let the bot write to you: share a server with it and allow "
                                  "direct messages from its members (Privacy Settings), then /subscribe again") from exc
            self.health.failed(str(exc))
            raise TransportError(f"discord: alert not delivered to {destination.name}: {exc}") from exc
        self.health.succeeded()

    async def _channel(self, destination: Destination) -> discord.abc.Messageable:
        if not destination.direct:
            return self.client.get_partial_messageable(int(destination.address))   # REST only: no cache needed
        try:
            return await self.client.create_dm(discord.Object(int(destination.address)))
        except SEND_ERRORS as exc:
            raise TransportError(f"cannot open a direct message: {exc}") from exc


def messages(reply: Reply) -> list[dict]:
    """The keyword arguments of each message the reply takes: its embeds, the pictures with the first,
    the buttons under the last (files and views are made anew for every try: a sent File is used up)."""
    groups = render.discord_embeds(reply)
    out: list[dict] = []
    for index, embeds in enumerate(groups):
        message: dict = {"embeds": embeds}
        if index == 0 and reply.images:
            message["files"] = reply.images
        if index == len(groups) - 1 and reply.buttons:
            message["view_of"] = reply
        out.append(message)
    return out


async def _sent(send: Callable[..., Awaitable], message: dict) -> None:
    """One message through discord.py; its errors as the transport's (a 429 as RateLimited)."""
    kwargs: dict = {"embeds": [discord.Embed.from_dict(e) for e in message["embeds"]], "allowed_mentions": NO_MENTIONS}
    if "files" in message:
        kwargs["files"] = _files(message["files"])
    if "view_of" in message:
        kwargs["view"] = _view(message["view_of"])
    if message.get("mention"):     # a critical alert: ping exactly these users, never @everyone, @here or a role
        kwargs["content"] = " ".join(f"<@{i}>" for i in message["mention"])
        kwargs["allowed_mentions"] = discord.AllowedMentions(everyone=False, roles=False, replied_user=False,
                                                             users=[discord.Object(i) for i in message["mention"]])
    try:
        await send(**kwargs)
    except discord.RateLimited as exc:                   # longer than MAX_RATE_LIMIT_WAIT: not slept inside
        raise RateLimited(f"rate limited for {exc.retry_after:.0f} s", exc.retry_after) from exc
    except discord.HTTPException as exc:
        if exc.status == 429:                            # still 429 after discord.py's own tries
            raise RateLimited(str(exc), _retry_after(exc)) from exc
        raise TransportError(str(exc)) from exc
    except SEND_ERRORS as exc:
        raise TransportError(str(exc) or type(exc).__name__) from exc


class PressButton(discord.ui.DynamicItem[discord.ui.Button], template=r"(?P<data>[a-z0-9]+:.*)"):
    """A button of ours (custom_id "ack:17"); registered with every client at start, so the buttons of
    messages sent before a restart keep working."""

    def __init__(self, data: str, label: str = "") -> None:
        super().__init__(discord.ui.Button(label=label or data, custom_id=data, style=discord.ButtonStyle.secondary))
        self.data = data

    @classmethod
    async def from_custom_id(cls, interaction: discord.Interaction, item: discord.ui.Button,
                             match) -> "PressButton":
        return cls(match["data"], item.label or "")

    async def callback(self, interaction: discord.Interaction) -> None:
        await interaction.client.teafarm_press(interaction, self.data)


def _view(reply: Reply) -> discord.ui.View | None:
    """The reply's buttons (Discord: 25 at most, custom ids of 100 characters)."""
    if not reply.buttons:
        return None
    view = discord.ui.View(timeout=None)
    for button in reply.buttons[:BUTTONS_LIMIT]:
        if len(button.data) <= CUSTOM_ID_LIMIT:
            view.add_item(PressButton(button.data, button.label[:BUTTON_LABEL_LIMIT]))
    return view


def _files(images: list[Image]) -> list[discord.File]:
    return [discord.File(io.BytesIO(i.png), filename=i.name, description=i.alt or None) for i in images]


def _retry_after(exc: discord.HTTPException) -> float:
    try:
        return float(exc.response.headers.get("Retry-After", 1.0))
    except (AttributeError, TypeError, ValueError):
        return 1.0


def _snowflakes(ids: list[str], key: str) -> list[int]:
    try:
        return [int(i) for i in ids]
    except ValueError:
        bad = next(i for i in ids if not i.strip().isdigit())
        raise ConfigError(f"{key}: {bad!r} is not a Discord id (turn on Developer Mode, right-click, Copy ID)") from None
