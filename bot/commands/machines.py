"""/machines and /disks [machine]."""
from __future__ import annotations

from bot.commands import format as fmt
from bot.commands.base import Command, CommandContext, CommandError
from bot.commands.farm import EMPTY_FARM, no_args
from bot.reply import Reply, Section
from bot.transports.base import Incoming
from monitor.server.registry import revoked_machines
from teafarm import units


def known_machine(ctx: CommandContext, name: str) -> str:
    """The machine called `name`, or a CommandError listing a few that exist."""
    names = [m["machine"] for m in ctx.reader.machines()]
    if name in names:
        return name
    matches = [n for n in names if n.lower() == name.lower()]
    if len(matches) == 1:
        return matches[0]
    shown = ", ".join(names[:10]) + (f" and {len(names) - 10} more" if len(names) > 10 else "")
    raise CommandError(f"unknown machine '{name}'" + (f" (known: {shown})" if names else " (no machine has reported yet)"))


def machines_command(ctx: CommandContext, args: str, who: Incoming) -> Reply:
    no_args(args, "machines")
    now = ctx.now()
    machines = ctx.reader.machines()
    if not machines:
        return Reply.text("Machines", EMPTY_FARM)
    info = {r["machine"]: r for r in ctx.reader.state("machine_info")}
    cpu = {r["machine"]: r for r in ctx.reader.state("cpu")}
    ram = {r["machine"]: r for r in ctx.reader.state("ram")}
    revoked = revoked_machines(ctx.reader.path)
    lines = []
    for m in machines:
        name = m["machine"]
        state = "online" if m["connected"] else f"OFFLINE, last seen {fmt.ago(m['last_seen'], now)}"
        if name in revoked:     # `teafarm certs revoke`: the server refuses its certificate
            state = f"REVOKED, {state}"
        details = [f"teafarm {m['teafarm_version'] or '?'}"]
        if name in info and info[name]["os"]:
            details.append(info[name]["os"])
        if name in cpu:
            details.append(f"cpu {cpu[name]['usage_percent']:.0f}%")
        if name in ram:
            details.append(f"ram {ram[name]['percent']:.0f}%")
        if m["refused_events"]:   # values the store cannot keep exactly (see the server log)
            details.append(f"{fmt.count(m['refused_events'], 'event')} refused")
        lines.append(f"{name}: {state}; {', '.join(details)}")
    online = sum(1 for m in machines if m["connected"])
    return Reply(f"Machines ({online} of {len(machines)} online)", [Section(lines=lines)])


def disks_command(ctx: CommandContext, args: str, who: Incoming) -> Reply:
    machine = known_machine(ctx, args.strip()) if args.strip() else None
    if not ctx.reader.machines():
        return Reply.text("Disks", EMPTY_FARM)
    rows = ctx.reader.state("disk", machine)
    health = smart_lines(ctx, machine)
    if not rows and not health:
        return Reply.text("Disks", f"No disk reported{' by ' + machine if machine else ''}.")
    sections: dict[str, Section] = {}
    for d in rows:
        section = sections.setdefault(d["machine"], Section(heading=d["machine"]))
        if d["error"]:
            section.lines.append(f"{d['mountpoint']}: UNREADABLE ({d['error']})")
        else:
            section.lines.append(f"{d['mountpoint']}: {d['percent']:.0f}% used, {units.size(d['free_bytes'])} free of "
                                 f"{units.size(d['total_bytes'])}{' (network)' if d['network'] else ''}")
    for name, lines in health.items():
        sections.setdefault(name, Section(heading=name)).lines.extend(lines)
    return Reply(f"Disks{' of ' + machine if machine else ''}", list(sections.values()))


def smart_lines(ctx: CommandContext, machine: str | None) -> dict[str, list[str]]:
    """Per machine: each physical disk's SMART health, or why there is none (never shown as healthy)."""
    found: dict[str, list[str]] = {}
    for d in ctx.reader.state("smart_disk", machine):
        found.setdefault(d["machine"], []).append(smart_line(d))
    for s in ctx.reader.state("smart", machine):
        if not s["available"]:
            found.setdefault(s["machine"], []).append(f"SMART: no data ({s['reason'] or 'no reason given'})")
        elif s["machine"] not in found:
            found[s["machine"]] = ["SMART: smartctl found no disks"]
    return found


def smart_line(d: dict) -> str:
    parts = [{"SMART_HEALTH_PASSED": "PASSED", "SMART_HEALTH_FAILED": "FAILED"}.get(d["health"], "health unknown")]
    if d["temperature_c"]:
        parts.append(f"{d['temperature_c']:.0f} °C")
    parts += [f"{d[key]:,} {name}" for key, name in (("reallocated_sectors", "reallocated"), ("pending_sectors", "pending"))
              if d[key] >= 0]
    if d["power_on_hours"]:
        parts.append(f"{d['power_on_hours']:,} h")
    note = " (standby: values of the last read)" if d["standby"] else f" (last read failed: {d['error']})" if d["error"] else ""
    model = f" {d['model']}" if d["model"] else ""
    return f"SMART {d['device']}{model} (serial {d['id']}): {', '.join(parts)}{note}"


MACHINES = Command("machines", "Every machine: online or since when gone, teafarm version, CPU and RAM", machines_command)
DISKS = Command("disks", "Disks of every machine (or of one): usage, free space, errors, SMART health", disks_command,
                usage="[machine]", argument="machine", suggest="machine")
