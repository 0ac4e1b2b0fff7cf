"""/press <action>:<target>: what a button under a message sends (bot/reply.py Button).

A press goes through the same access check as a typed command (bot/access.py `guarded`) and is
answered here: Mute 1 h / 1 d (that alert's rule on its machine or harvester), Acknowledge (no
more reminders until it recovers) and Refresh (the command again, only for those that offer it).
The transport edits the message with the answer; a CommandError changes nothing.
"""
from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import replace

from bot.alerts import lifecycle
from bot.alerts.messages import ACKNOWLEDGE, MUTES
from bot.alerts.mutes import add_mute, combined
from bot.commands import format as fmt
from bot.commands.base import CommandContext, CommandError
from bot.reply import Button, Reply, Section
from bot.transports.base import Incoming
from monitor.sqlite_tx import transaction
from teafarm import units

REFRESHABLE = ("/farm", "/alerts")


def press(ctx: CommandContext, args: str, who: Incoming, run: Callable[[CommandContext, Incoming], Reply]) -> Reply:
    """`run` answers a command (bot.commands.dispatch.run_command), for Refresh."""
    action, target = Button.parse(args.strip())
    if action == "refresh":
        if target not in REFRESHABLE:
            raise CommandError(f"nothing to refresh for {target[:40]!r}")
        return run(ctx, replace(who, text=target))
    if action in MUTES:
        return _mute(ctx, _alert_id(target), MUTES[action], who)
    if action == ACKNOWLEDGE:
        return _acknowledge(ctx, _alert_id(target), who)
    raise CommandError(f"unknown button {action[:40]!r}")


def _alert_id(target: str) -> int:
    # ASCII digits only, and few enough for sqlite's 64-bit integers: callback data is forgeable, and
    # "²" (isdigit, yet not int) or 2**70 (an OverflowError in sqlite) must get this line, not a traceback
    if not re.fullmatch(r"[1-9][0-9]{0,17}", target):
        raise CommandError(f"{target[:40]!r} is not an alert id")
    return int(target)


def _mute(ctx: CommandContext, alert_id: int, seconds: float, who: Incoming) -> Reply:
    ref = lifecycle.ref(ctx.botdb, alert_id)
    if ref is None:
        raise CommandError(f"alert {alert_id} is unknown to this bot")
    now = ctx.now()
    add_mute(ctx.botdb, combined(ref.rule, ref.machine, ref.harvester_id), now + seconds, _name(who), now)
    where = f"harvester {ref.harvester}" if ref.harvester_id else f"machine {ref.machine}"
    return Reply("Muted", [Section(lines=[f"{ref.title} on {where} for {units.duration(seconds)} "
                                          f"(until {fmt.clock(now + seconds)}) by {_name(who)}"])])


def _acknowledge(ctx: CommandContext, alert_id: int, who: Incoming) -> Reply:
    now = ctx.now()
    with transaction(ctx.botdb):
        alert = lifecycle.by_id(ctx.botdb, alert_id)
        if alert is None and lifecycle.ref(ctx.botdb, alert_id) is None:
            raise CommandError(f"alert {alert_id} is unknown to this bot")
        if alert is None:
            raise CommandError("this alert has recovered already: nothing to acknowledge")
        if alert.acknowledged_at is not None:
            raise CommandError(f"already acknowledged by {alert.acknowledged_by} at {fmt.clock(alert.acknowledged_at)}")
        lifecycle.acknowledge(ctx.botdb, alert, _name(who), now)
    return Reply("Acknowledged", [Section(lines=[f"by {_name(who)} at {fmt.clock(now)}; no reminders until it recovers"])])


def _name(who: Incoming) -> str:
    return who.user_name or who.user_id or who.transport
