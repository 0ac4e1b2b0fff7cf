"""/alerts, /mute <rule|machine|harvester|rule on machine> <duration>, /unmute <target|all>."""
from __future__ import annotations

from bot.alerts.lifecycle import FIRING, PENDING, Alert, open_alerts
from bot.alerts.mutes import active_mutes, add_mute, parts, remove_mute
from bot.alerts.rules import ALERTS
from bot.commands import format as fmt
from bot.commands.base import Command, CommandContext, CommandError
from bot.commands.farm import no_args
from bot.reply import Button, Reply, Section
from bot.stats.harvesters import harvester_label, harvesters
from bot.transports.base import Incoming
from teafarm import units


def alerts_command(ctx: CommandContext, args: str, who: Incoming) -> Reply:
    no_args(args, "alerts")
    now = ctx.now()
    alerts = open_alerts(ctx.botdb)
    sections = []
    firing = [a for a in alerts if a.status == FIRING]
    pending = [a for a in alerts if a.status == PENDING]
    if firing:
        sections.append(Section(heading="open", lines=[_line(a, now) for a in firing]))
    if pending:
        sections.append(Section(heading="waiting (debounce or grace)", lines=[_line(a, now) for a in pending]))
    mutes = active_mutes(ctx.botdb, now)
    if mutes:
        sections.append(Section(heading="muted", lines=[
            f"{describe(ctx, m.target)} for {units.duration(m.until - now)} more (by {m.by})" for m in mutes]))
    if not sections:
        sections = [Section(lines=["No open alert."])]
    return Reply(f"Alerts ({len(firing)} open)" if firing else "Alerts", sections, buttons=[REFRESH])


REFRESH = Button("Refresh", "refresh", "/alerts")


def _line(alert: Alert, now: float) -> str:
    who = alert.harvester or alert.machine
    acknowledged = f", acknowledged by {alert.acknowledged_by}" if alert.acknowledged_by else ""
    return (f"[{alert.severity}] {alert.title}: {alert.detail or who} "
            f"(since {units.duration(now - alert.since)}{acknowledged})")


def resolve_target(ctx: CommandContext, text: str) -> str:
    """A rule name, a machine name or a harvester (node id prefix, or 'machine shortid') -> typed target;
    "<rule> on <machine or harvester>" -> that rule there only."""
    text = text.strip()
    rule, on, where = text.partition(" on ")
    if on and rule.strip().lower() in ALERTS:
        scope = resolve_target(ctx, where)
        if scope.startswith("rule:"):
            raise CommandError(f"'{where.strip()}' is not a machine or harvester")
        return f"rule:{rule.strip().lower()}@{scope}"
    if text.lower() in ALERTS:
        return f"rule:{text.lower()}"
    machines = [m["machine"] for m in ctx.reader.machines()]
    if text in machines:
        return f"machine:{text}"
    nodes = {h.node_id: h for h in harvesters(ctx.reader)}
    wanted = text.lower().removeprefix("0x")
    matches = [n for n, h in nodes.items() if h.label.lower() == text.lower() or (len(wanted) >= 4 and n.startswith(wanted))]
    if len(matches) == 1:
        return f"harvester:{matches[0]}"
    if len(matches) > 1:
        raise CommandError(f"'{text}' matches {len(matches)} harvesters: give more of the node id")
    raise CommandError(f"'{text}' is not an alert, machine or harvester (alerts: {', '.join(ALERTS)})")


def describe(ctx: CommandContext, target: str) -> str:
    """How a target reads: "rule disk_full", "harvester farmer-1 3f2a…", "rule disk_full on machine nas1"."""
    return _spelled(ctx, target, typed=False)


def typed_form(ctx: CommandContext, target: str) -> str:
    """What to type to name `target` again (/unmute): "disk_full", "nas1", "disk_full on nas1"."""
    return _spelled(ctx, target, typed=True)


def _spelled(ctx: CommandContext, target: str, typed: bool) -> str:
    if len(both := parts(target)) == 2:
        return " on ".join(_spelled(ctx, part, typed) for part in both)
    kind, name = target.split(":", 1)
    if kind == "harvester":
        label = next((h.label for h in harvesters(ctx.reader) if h.node_id == name), None)
        if typed:
            return label or name
        return f"harvester {label or harvester_label('', name)}"
    return name if typed else f"{kind} {name}"


def mute_command(ctx: CommandContext, args: str, who: Incoming) -> Reply:
    parts = args.split()
    if len(parts) < 2:
        raise CommandError("usage: /mute <alert|machine|harvester> <duration>, e.g. /mute disk_full 2h")
    target = resolve_target(ctx, " ".join(parts[:-1]))
    seconds = fmt.parse_duration(parts[-1])
    now = ctx.now()
    add_mute(ctx.botdb, target, now + seconds, who.user_name or who.user_id or who.transport, now)
    return Reply.text("Muted", f"{describe(ctx, target)} muted for {units.duration(seconds)} (until {fmt.clock(now + seconds)})")


def unmute_command(ctx: CommandContext, args: str, who: Incoming) -> Reply:
    text = args.strip()
    if not text:
        raise CommandError("usage: /unmute <alert|machine|harvester> or /unmute all")
    if text.lower() == "all":
        count = remove_mute(ctx.botdb, None)
        return Reply.text("Unmuted", f"{fmt.count(count, 'mute')} removed")
    target = resolve_target(ctx, text)
    if not remove_mute(ctx.botdb, target):
        raise CommandError(f"{describe(ctx, target)} is not muted")
    return Reply.text("Unmuted", f"{describe(ctx, target)} unmuted")


ALERTS_COMMAND = Command("alerts", "Open alerts, alerts waiting for their debounce, and mutes", alerts_command)
MUTE = Command("mute", "Silence an alert, a machine or a harvester for a while", mute_command,
               usage="<alert|machine|harvester|alert on machine> <duration>", argument="what", suggest="target")
UNMUTE = Command("unmute", "End a mute (or all of them)", unmute_command, usage="<alert|machine|harvester|all>",
                 argument="what", suggest="muted")
