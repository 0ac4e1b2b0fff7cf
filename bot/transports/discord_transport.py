"""Discord through discord.py: slash commands and prefix commands ("!farm"), alerts to channels.

Slash commands are synced to the configured guilds at start (instant) or globally (slow to
appear). Every reply is Discord markdown split under 2,000 characters, sent with mentions
disabled so a farm string like "@everyone" pings nobody.

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
import logging
from typing import Awaitable, Callable, Sequence

import aiohttp
import discord
from discord import app_commands

from bot import render
from bot.reply import Reply
from bot.transports.base import ALERT_PATIENCE, REPLY_PATIENCE, Backoff, CommandHandler, CommandSpec, \
    Incoming, RateLimited, Refused, Sleep, Transport, TransportError, answer, command_line
from bot.transports.settings import DiscordSettings
from teafarm.typed_config import ConfigError

log = logging.getLogger(__name__)

READY_WAIT = 30.0              # seconds start() waits for the gateway before carrying on in the background
MAX_RATE_LIMIT_WAIT = ALERT_PATIENCE   # longer 429 waits raise RateLimited instead of sleeping inside discord.py
DESCRIPTION_LIMIT = 100       # characters of a slash command's or option's description
GATEWAY_BAD_TOKEN = 4004
GATEWAY_DISALLOWED_INTENTS = 4014
NO_MENTIONS = discord.AllowedMentions.none()
SEND_ERRORS = (discord.DiscordException, aiohttp.ClientError, OSError)


class DiscordTransport(Transport):
    name = "discord"

    def __init__(self, settings: DiscordSettings, commands: Sequence[CommandSpec] = (),
                 guild_ready_timeout: float = 2.0,     # tests shorten discord.py's wait for guilds
                 backoff: Backoff = Backoff(), sleep: Sleep = asyncio.sleep) -> None:
        super().__init__(backoff, sleep)
        self._settings = settings
        self._commands = list(commands)
        self._guild_ready_timeout = guild_ready_timeout
        self._guild_ids = _snowflakes(settings.guild_ids, "bot.discord.guild_ids")
        self._alert_channel_ids = _snowflakes(settings.alert_channel_ids, "bot.discord.alert_channel_ids")
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
        self.client.setup_hook = self._sync_commands
        self.client.on_ready = self._on_ready
        self.client.on_resumed = self._on_ready
        self.client.on_disconnect = self._on_disconnect
        self.client.on_message = self._on_message

    # ---- connection ----------------------------------------------------------------------------

    async def start(self, handler: CommandHandler) -> None:
        if self._handler is None and not self._alert_channel_ids:     # said once, not at every reconnect
            log.warning("discord: bot.discord.alert_channel_ids is empty: no alerts go to Discord")
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
        else:
            async def callback(interaction: discord.Interaction) -> None:
                await self._on_slash(interaction, command_line(spec.name))
        # Discord refuses the whole sync when one description passes 100 characters
        return app_commands.Command(name=spec.name, description=spec.description[:DESCRIPTION_LIMIT], callback=callback)

    async def _on_slash(self, interaction: discord.Interaction, text: str) -> None:
        incoming = Incoming(self.name, str(interaction.channel_id), str(interaction.user.id), interaction.user.name,
                            text, is_dm=interaction.guild_id is None)
        try:
            await interaction.response.defer(thinking=True)    # Discord drops an interaction unanswered for 3 s
        except SEND_ERRORS as exc:
            self._reply_failed(incoming, exc)
            return
        reply = await answer(self._handler, incoming)
        await self._reply(incoming, reply, lambda piece: interaction.followup.send(piece, allowed_mentions=NO_MENTIONS))

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
        await self._reply(incoming, reply, lambda piece: message.channel.send(piece, allowed_mentions=NO_MENTIONS))

    async def _reply(self, incoming: Incoming, reply: Reply, send: Callable[[str], Awaitable]) -> None:
        try:
            for piece in pieces(reply):
                await self.send_patiently(functools.partial(_sent, send, piece), REPLY_PATIENCE)
        except TransportError as exc:
            self._reply_failed(incoming, exc)
            return
        self.health.succeeded()

    def _reply_failed(self, incoming: Incoming, exc: Exception) -> None:
        """One log line instead of discord.py's traceback; the health shows it."""
        self.health.failed(str(exc))
        log.error("discord: reply to %r in channel %s failed: %s", incoming.text, incoming.chat_id, exc)

    # ---- alerts ------------------------------------------------------------------------------------

    async def send_alert(self, reply: Reply) -> None:
        if self.client.user is None or self.client.is_closed():
            raise TransportError("discord: not connected")
        try:
            for channel_id in self._alert_channel_ids:
                channel = self.client.get_partial_messageable(channel_id)   # REST only: no cache needed
                send = functools.partial(channel.send, allowed_mentions=NO_MENTIONS)
                for piece in pieces(reply):
                    await self.send_patiently(functools.partial(_sent, send, piece), ALERT_PATIENCE)
        except RateLimited:
            raise                      # not a failure: the outbox waits as long as Discord asked
        except TransportError as exc:
            self.health.failed(str(exc))
            raise TransportError(f"discord: alert not delivered: {exc}") from exc
        self.health.succeeded()


def pieces(reply: Reply) -> list[str]:
    return render.split(render.discord_markdown(reply), render.DISCORD_LIMIT, render.MARKDOWN_FENCE)


async def _sent(send: Callable[[str], Awaitable], piece: str) -> None:
    """One message through discord.py; its errors as the transport's (a 429 as RateLimited)."""
    try:
        await send(piece)
    except discord.RateLimited as exc:                   # longer than MAX_RATE_LIMIT_WAIT: not slept inside
        raise RateLimited(f"rate limited for {exc.retry_after:.0f} s", exc.retry_after) from exc
    except discord.HTTPException as exc:
        if exc.status == 429:                            # still 429 after discord.py's own tries
            raise RateLimited(str(exc), _retry_after(exc)) from exc
        raise TransportError(str(exc)) from exc
    except SEND_ERRORS as exc:
        raise TransportError(str(exc) or type(exc).__name__) from exc


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
