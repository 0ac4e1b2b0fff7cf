"""/plots: a summary per harvester (farms have 100,000 plots: never one line per plot)."""
from __future__ import annotations

from bot.commands import format as fmt
from bot.commands.base import Command, CommandContext
from bot.commands.farm import EMPTY_FARM, no_args
from bot.reply import Reply, Section
from bot.stats.harvesters import harvester_label
from bot.transports.base import Incoming


def plots_command(ctx: CommandContext, args: str, who: Incoming) -> Reply:
    no_args(args, "plots")
    if not ctx.reader.machines():
        return Reply.text("Plots", EMPTY_FARM)
    rows = ctx.reader.query(
        "SELECT machine, harvester_node_id AS node, k, compression, status, count(*) AS n, total(file_size) AS bytes, "
        "count(DISTINCT disk) AS disks FROM plot GROUP BY machine, harvester_node_id, k, compression, status "
        "ORDER BY machine, harvester_node_id, k, compression")
    if not rows:
        return Reply.text("Plots", "No plot reported yet (plots come from the client on each harvester machine).")
    sections: dict[tuple[str, str], Section] = {}
    disks = {(r["machine"], r["node"]): r["n"] for r in ctx.reader.query(
        "SELECT machine, harvester_node_id AS node, count(DISTINCT disk) AS n FROM plot GROUP BY 1, 2")}
    total = 0
    for r in rows:
        key = (r["machine"], r["node"])
        section = sections.setdefault(key, Section(heading=f"{harvester_label(*key)} ({disks[key]} disks)"))
        kind = f"k{r['k']}" + (f" C{r['compression']}" if r["compression"] else "")
        state = "" if r["status"] == "VALID" else f" {r['status'].lower().replace('_', ' ')}"
        section.lines.append(f"{r['n']:,} x {kind}{state}: {fmt.size(r['bytes'])}")
        total += r["n"]
    return Reply(f"Plots ({total:,} on {len(sections)} harvesters)", list(sections.values()))


COMMAND = Command("plots", "Plots per harvester: count by k size and compression, disks, invalid ones", plots_command)
