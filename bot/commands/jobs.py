"""/plotting and /copy: plots being made, plots being moved and the farm disks they go to."""
from __future__ import annotations

from bot.commands import format as fmt
from bot.commands.base import Command, CommandContext
from bot.commands.farm import EMPTY_FARM, no_args
from bot.reply import Reply, Section
from bot.transports.base import Incoming
from teafarm import units

RECENT = 86400.0


def plotting_command(ctx: CommandContext, args: str, who: Incoming) -> Reply:
    no_args(args, "plotting")
    if not ctx.reader.machines():
        return Reply.text("Plotting", EMPTY_FARM)
    jobs = ctx.reader.state("plotter_job")
    if not jobs:
        return Reply.text("Plotting", "No plot is being made.")
    lines = []
    for j in jobs:
        kind = f"k{j['k']}" + (f" C{j['compression']}" if j["compression"] else "")
        eta = f", about {units.duration(j['eta_seconds'])} left" if j["eta_seconds"] else ""
        lines.append(f"{j['machine']} {j['plotter'] or 'plotter'} {kind}: {j['phase'] or '?'} {100 * (j['progress'] or 0):.0f}%{eta}")
    return Reply(f"Plotting ({fmt.count(len(jobs), 'job')})", [Section(lines=lines)])


def copy_command(ctx: CommandContext, args: str, who: Incoming) -> Reply:
    no_args(args, "copy")
    now = ctx.now()
    if not ctx.reader.machines():
        return Reply.text("Copy", EMPTY_FARM)
    jobs = [j for j in ctx.reader.state("copy_job")
            if j["state"] in ("QUEUED", "COPYING") or (j["finished"] or now) >= now - RECENT]
    targets = ctx.reader.state("copy_target")
    if not jobs and not targets:
        return Reply.text("Copy", "No copier reported (run `teafarm copy` on plotters, or set copy: in the config).")
    sections = []
    active = [j for j in jobs if j["state"] in ("QUEUED", "COPYING")]
    if active:
        sections.append(Section(heading="moving", lines=[
            f"{j['machine']} {j['plot']} -> {j['target'] or '?'}: {j['state'].lower()} "
            f"{fmt.percent(j['bytes_done'] or 0, j['bytes_total'] or 0)}, {units.size(j['rate_bytes_per_s'])}/s" for j in active]))
    done = [j for j in jobs if j["state"] == "DONE"]
    failed = [j for j in jobs if j["state"] == "FAILED"]
    if done or failed:
        lines = [f"last 24 h: {len(done)} done, {len(failed)} failed"]
        lines += [f"FAILED {j['machine']} {j['plot']}: {j['error'] or 'no reason given'}" for j in failed[-10:]]
        sections.append(Section(heading="finished", lines=lines))
    if targets:
        sections.append(Section(heading="targets", lines=[
            f"{t['machine']} {t['id']}: {t['state'].lower()}, {units.size(t['free_bytes'])} free, {t['writers']} writers"
            + (f" ({t['error']})" if t["error"] else "") for t in targets]))
    return Reply("Copy", sections)


PLOTTING = Command("plotting", "Plots being made: plotter, phase, progress", plotting_command)
COPY = Command("copy", "Plots being moved to farm disks, failures, targets and their free space", copy_command)
