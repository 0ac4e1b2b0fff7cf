"""/missed [1h|24h|7d]: signage points expected, answered, missed and late per harvester.

Missed counts what lost its proof: no answer, or an answer after chia's 28 s window (the late>28s
column shows those apart). lookup>5s counts answers whose lookup took over 5 s (chia's warning).
"""
from __future__ import annotations

from dataclasses import replace

from bot.commands import format as fmt
from bot.commands.base import Command, CommandContext
from bot.commands.chart import image_of, missed_chart
from bot.commands.farm import EMPTY_FARM
from bot.commands.harvesters import by_node
from bot.reply import Reply, Section
from bot.stats.farming import farm_total, incomplete_note, skipped_signage_points, window_totals
from bot.stats.harvesters import harvester_label, machines_of
from bot.transports.base import Incoming

CHART_FROM = 2 * 86400.0     # windows this long get the chart too: a week of numbers reads better as a picture


def missed(ctx: CommandContext, args: str, who: Incoming) -> Reply:
    name, seconds = fmt.parse_window(args)
    now = ctx.now()
    if not ctx.reader.machines():
        return Reply.text(f"Missed signage points ({name})", EMPTY_FARM)
    per_harvester = window_totals(ctx.reader, ctx.botdb, now - seconds, now)
    per_node = by_node(per_harvester)
    home = {node: machine for machine, node in per_harvester} | machines_of(ctx.reader)
    seen, skipped = skipped_signage_points(ctx.reader, now - seconds, now)
    title = f"Missed signage points ({name})"
    farm_line = (f"farm: {skipped} signage points skipped by the node of {seen + skipped} "
                 f"({fmt.percent(skipped, seen + skipped)}){', missed by every harvester' if skipped else ''}"
                 if seen + skipped else "farm: no signage point data from a farmer")
    if not per_node:
        return Reply(title, [Section(lines=[farm_line, f"No farming statistics in the last {name}."])])
    header = f"{'harvester':<22} {'expected':>8} {'answered':>8} {'missed':>12} {'late>28s':>12} {'lookup>5s':>12}"
    rows = [header]
    for node, t in sorted(per_node.items(), key=lambda kv: (-kv[1].lost, kv[0])):
        label = harvester_label(home[node], node)
        rows.append(f"{label[:22]:<22} {t.expected:>8} {t.answered:>8} {_count_pct(t.lost, t.expected):>12} "
                    f"{_count_pct(t.late28, t.expected):>12} {_count_pct(t.late5, t.expected):>12}")
    total = farm_total(per_node)
    rows.append(f"{'all':<22} {total.expected:>8} {total.answered:>8} {_count_pct(total.lost, total.expected):>12} "
                f"{_count_pct(total.late28, total.expected):>12} {_count_pct(total.late5, total.expected):>12}")
    legend = ("missed: no answer, or one after chia's 28 s window (late>28s, among the missed); "
              "lookup>5s: answered, but the lookup took over 5 s")
    # the chart at the same `now`: its steps add up to the numbers above
    images = [image_of(missed_chart(replace(ctx, now=lambda: now), name))] if seconds >= CHART_FROM else []
    return Reply(title, [Section(lines=[farm_line, legend, *incomplete_note(ctx.reader, ctx.botdb)]),
                         Section(lines=rows, monospace=True)], images=images)


def _count_pct(count: int, whole: int) -> str:
    return f"{count} ({100.0 * count / whole:.1f}%)" if whole else str(count)


COMMAND = Command("missed", "Signage points expected, answered, missed and late per harvester", missed,
                  usage="[1h|24h|7d]", argument="window", suggest="window")
