"""What every command gets and returns: the context it reads, its arguments, one-line errors."""
from __future__ import annotations

import sqlite3
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from bot.alerts.settings import AlertSettings
from bot.reply import Reply
from bot.transports.base import Incoming
from monitor.store.reader import StoreReader

if TYPE_CHECKING:
    from bot.alerts.destinations import Outlets


class CommandError(Exception):
    """A user mistake (bad argument, unknown machine): the message is the one line we answer."""


@dataclass
class CommandContext:
    reader: StoreReader                 # the farm database, read-only
    botdb: sqlite3.Connection           # alert state, mutes, rollups
    settings: AlertSettings
    now: Callable[[], float] = field(default=time.time)
    outlets: Outlets | None = None      # the running bot's transports (/test, /subscribe); None in `teafarm ask`


@dataclass(frozen=True)
class Command:
    name: str                           # "missed" (typed as /missed)
    description: str                    # one line for /help and the chat's command picker
    run: Callable[[CommandContext, str, Incoming], Reply]   # (context, argument text, who asked)
    usage: str = ""                     # "[1h|24h|7d]"
    argument: str = ""                  # name of its one free-text argument in chat pickers ("window"; "" = none)
    admin: bool = False                 # only for admins (/sql)
    suggest: str = ""                   # what chats suggest for the argument as it is typed (bot.commands.suggest)
    choices: tuple[str, ...] = ()       # the argument's only values (a list to pick from)
    hidden: bool = False                # not listed (/press: what buttons send)
