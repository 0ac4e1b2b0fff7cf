"""/chart <what> [window]: the farm as a picture. Each chart function takes the command context and
a window and returns the Chart it drew (bot.charts.draw): the PNG and the series as drawn.

  missed  signage points missed per harvester (24h; 7d ...)      lookup  lookup p95 per harvester (24h)
  proofs  proofs and partials accepted / failed per day (7d)      plots   plot count and raw size per day (30d)
  disks   disk space used and free per machine (now)
"""
from __future__ import annotations

import math
from collections.abc import Callable

from bot.charts.draw import SIZE, Chart, keep_top, stacked_bars, time_chart, two_axis_chart
from bot.commands.base import Command, CommandContext, CommandError
from bot.commands.farm import EMPTY_FARM
from bot.commands.format import parse_window
from bot.reply import Image, Reply, Section
from bot.stats import daily
from bot.stats.rollup import LOOKUP_EDGES, percentile_from_hist
from bot.stats.series import disk_usage, fact_counts, farming_steps, step_for
from bot.transports.base import Incoming
from teafarm import units

LOOKUP_CAP = 30.0      # seconds: "over 28 s" (chia's deadline) is drawn just above it
TIB = 2**40


MISSED = ("buckets", "missed", "late28")                 # lost = missed + late28, as /missed counts it
LOOKUP = ("buckets", *(f"h{i}" for i in range(len(LOOKUP_EDGES) + 1)))   # minutes per lookup-time bin


def missed_chart(ctx: CommandContext, window: str = "24h", size: tuple[int, int] = SIZE) -> Chart:
    """Signage points missed (no answer, or one after 28 s) per harvester and step; the 9 that
    missed most, the rest as "others" (their mean: a sum of hundreds would flatten the nine)."""
    name, seconds = parse_window(window)
    now = ctx.now()
    steps = farming_steps(ctx.reader, ctx.botdb, now - seconds, now, MISSED)
    series = {label: [float(t[1] + t[2]) for t in totals] for label, totals in steps.per_harvester.items()}
    kept = keep_top(series, rank=lambda label: steps.window[label][1] + steps.window[label][2])
    return time_chart(f"missed-{name}.png", f"Missed signage points per harvester ({name})", (now - seconds, now),
                      steps.ends, kept, f"missed per {_step_label(steps.ends, seconds)}", size=size)


def lookup_chart(ctx: CommandContext, window: str = "24h", size: tuple[int, int] = SIZE) -> Chart:
    """Lookup p95 per harvester and step (seconds, the upper edge of its bin); the 9 slowest, the
    rest as "others" (the p95 of their minutes together)."""
    name, seconds = parse_window(window)
    now = ctx.now()
    steps = farming_steps(ctx.reader, ctx.botdb, now - seconds, now, LOOKUP)

    def others(labels: list[str]) -> list[float]:
        return [_p95([sum(column) for column in zip(*(steps.per_harvester[label][k] for label in labels))])
                for k in range(len(steps.ends))]

    series = {label: [_p95(t) for t in totals] for label, totals in steps.per_harvester.items()}
    kept = keep_top(series, rank=lambda label: _p95(steps.window[label]), fold=others)
    return time_chart(f"lookup-{name}.png", f"Lookup p95 per harvester ({name}; chia warns above 5 s)",
                      (now - seconds, now), steps.ends, kept, "seconds", size=size)


def _p95(totals) -> float:
    """A step's lookup p95 from (buckets, bins...): NaN (a gap) without minutes, capped above 28 s."""
    value = percentile_from_hist(list(totals[1:]))
    return math.nan if value is None else min(value, LOOKUP_CAP)


def _step_label(ends: list[float], seconds: float) -> str:
    return units.duration(ends[1] - ends[0] if len(ends) > 1 else seconds)


def proofs_chart(ctx: CommandContext, window: str = "7d", size: tuple[int, int] = SIZE) -> Chart:
    """Proofs found and partials accepted / failed per day (per step below 3 days)."""
    name, seconds = parse_window(window)
    now = ctx.now()
    step = 86400 if seconds >= 3 * 86400 else step_for(seconds)
    count = max(1, math.ceil(seconds / step))
    ends = [now - (count - 1 - k) * step for k in range(count)]
    series = {"proofs": fact_counts(ctx.reader, "proof_events", ends, step),
              "partials accepted": fact_counts(ctx.reader, "partial_events", ends, step, "accepted"),
              "partials failed": fact_counts(ctx.reader, "partial_events", ends, step, "NOT accepted")}
    return time_chart(f"proofs-{name}.png", f"Proofs and partials ({name})", (ends[0] - step, now),
                      [e - step for e in ends], {k: [float(v) for v in values] for k, values in series.items()},
                      f"per {units.duration(step)}", bars=True, size=size)


def plots_chart(ctx: CommandContext, window: str = "30d", size: tuple[int, int] = SIZE) -> Chart:
    """Plot count and raw size at the end of each day (the daily rollup; today: now)."""
    name, seconds = parse_window(window)
    now = ctx.now()
    daily.record(ctx.reader, ctx.botdb, now)
    rows = daily.days(ctx.botdb, now - seconds)
    return two_axis_chart(f"plots-{name}.png", f"Plots and farm size ({name})", (now - seconds, now), [d.at for d in rows],
                          ("plots", [float(d.plots) for d in rows]), ("raw size (TiB)", [d.raw_bytes / TIB for d in rows]),
                          size=size)


def disks_chart(ctx: CommandContext, window: str = "", size: tuple[int, int] = SIZE) -> Chart:
    """Space used and free per machine (TiB, over its disks); the 9 largest machines, the rest as "others"."""
    if window.strip():
        raise CommandError("/chart disks shows the disks as they are now: it takes no window")
    usage = {machine: [used / TIB, max(0, total - used) / TIB] for machine, (used, total) in disk_usage(ctx.reader).items()}
    kept = keep_top(usage, rank=lambda machine: sum(usage[machine]))
    return stacked_bars("disks.png", "Disk space per machine", kept, ("used", "free"), "TiB", size=size)


CHARTS: dict[str, Callable[..., Chart]] = {
    "missed": missed_chart, "lookup": lookup_chart, "proofs": proofs_chart, "plots": plots_chart, "disks": disks_chart,
}


def drawn(chart: Chart) -> str:
    """The series drawn, in a line (for chats and logs that show no pictures)."""
    return ", ".join(chart.series) or "no data"


def image_of(chart: Chart) -> Image:
    return Image(chart.name, chart.png, f"{chart.title}: {drawn(chart)}")


def chart_command(ctx: CommandContext, args: str, who: Incoming) -> Reply:
    what, _, window = args.strip().partition(" ")
    what = what.lower()
    if what not in CHARTS:
        raise CommandError(f"/chart {what or '(nothing)'}: say which chart: {', '.join(CHARTS)} (e.g. /chart missed 7d)")
    if not ctx.reader.machines():
        return Reply.text("Chart", EMPTY_FARM)
    chart = CHARTS[what](ctx, window) if window.strip() else CHARTS[what](ctx)
    return Reply(chart.title, [Section(lines=[f"drawn: {drawn(chart)}"])], images=[image_of(chart)])


COMMAND = Command("chart", "A chart: missed, lookup, proofs, plots or disks, over a window (24h, 7d, 30d)",
                  chart_command, usage="<missed|lookup|proofs|plots|disks> [window]", argument="chart",
                  choices=("missed 24h", "missed 7d", "lookup 24h", "proofs 7d", "plots 30d", "disks"))
