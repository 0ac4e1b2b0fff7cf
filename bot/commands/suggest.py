"""What chats suggest while an argument is typed (Discord autocomplete): names from the farm
database and bot.db, filtered by what was typed so far."""
from __future__ import annotations

from bot.alerts.mutes import active_mutes
from bot.alerts.rules import ALERTS
from bot.commands.alerts import typed_form
from bot.commands.base import CommandContext
from bot.commands.format import WINDOWS
from bot.stats.harvesters import harvesters

LIMIT = 25      # Discord shows at most 25


def suggestions(ctx: CommandContext, kind: str, typed: str) -> list[str]:
    """Up to LIMIT names of `kind` ("window", "machine", "harvester", "alert", "target", "muted") that
    start with `typed`, then those that contain it."""
    names = _names(ctx, kind)
    typed = typed.strip().lower()
    first = [n for n in names if n.lower().startswith(typed)]
    rest = [n for n in names if typed in n.lower() and n not in first]
    return (first + rest)[:LIMIT]


def _names(ctx: CommandContext, kind: str) -> list[str]:
    if kind == "window":
        return [*WINDOWS, "30d"]
    if kind == "machine":
        return sorted(m["machine"] for m in ctx.reader.machines())
    if kind == "harvester":
        return sorted(h.label for h in harvesters(ctx.reader))
    if kind == "alert":
        return list(ALERTS)
    if kind == "target":
        return [*_names(ctx, "alert"), *_names(ctx, "machine"), *_names(ctx, "harvester")]
    if kind == "muted":
        return ["all", *(typed_form(ctx, m.target) for m in active_mutes(ctx.botdb, ctx.now()))]
    return []
