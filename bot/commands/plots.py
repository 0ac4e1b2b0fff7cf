"""/plots: a summary per harvester (farms have 100,000 plots: never one line per plot).

Valid plots are counted by k size and compression; plots with a problem (unreadable, foreign key,
duplicate) by what is wrong, with the first few file names: chia knows nothing else of them (no k,
no size), and the name is what the owner needs to find the file."""
from __future__ import annotations

from bot.commands import format as fmt
from bot.commands.base import Command, CommandContext
from bot.commands.farm import EMPTY_FARM, no_args
from bot.reply import Reply, Section
from bot.stats.harvesters import harvester_label
from bot.stats.plots import file_list, problem_files
from bot.transports.base import Incoming
from teafarm import units

PROBLEMS = {"INVALID": "invalid (cannot be read)", "MISSING_KEY": "with a farmer key not in this farm",
            "DUPLICATE": "duplicate"}


def plots_command(ctx: CommandContext, args: str, who: Incoming) -> Reply:
    no_args(args, "plots")
    if not ctx.reader.machines():
        return Reply.text("Plots", EMPTY_FARM)
    valid = ctx.reader.query(
        "SELECT machine, harvester_node_id AS node, k, compression, count(*) AS n, total(file_size) AS bytes "
        "FROM plot WHERE status = 'VALID' GROUP BY machine, harvester_node_id, k, compression "
        "ORDER BY machine, harvester_node_id, k, compression")
    problems = ctx.reader.query(
        "SELECT machine, harvester_node_id AS node, status, count(*) AS n FROM plot WHERE status != 'VALID' "
        "GROUP BY machine, harvester_node_id, status ORDER BY machine, harvester_node_id, status")
    if not valid and not problems:
        return Reply.text("Plots", "No plot reported yet (plots come from the client on each harvester machine).")
    disks = {(r["machine"], r["node"]): r["n"] for r in ctx.reader.query(
        "SELECT machine, harvester_node_id AS node, count(DISTINCT disk) AS n FROM plot GROUP BY 1, 2")}
    sections: dict[tuple[str, str], Section] = {}

    def section(key: tuple[str, str]) -> Section:
        return sections.setdefault(key, Section(heading=f"{harvester_label(*key)} ({fmt.count(disks[key], 'disk')})"))

    total = 0
    for r in valid:
        kind = f"k{r['k']}" + (f" C{r['compression']}" if r["compression"] else "")
        section((r["machine"], r["node"])).lines.append(f"{r['n']:,} x {kind}: {units.size(r['bytes'])}")
        total += r["n"]
    for r in problems:
        names = problem_files(ctx.reader, r["machine"], r["node"], r["status"])
        what = PROBLEMS.get(r["status"], r["status"].lower().replace("_", " "))
        section((r["machine"], r["node"])).lines.append(f"{r['n']:,} {what}: {file_list(names, r['n'])}")
        total += r["n"]
    return Reply(f"Plots ({total:,} on {fmt.count(len(sections), 'harvester')})", [sections[key] for key in sorted(sections)])


COMMAND = Command("plots", "Plots per harvester: count by k size and compression, disks, invalid ones", plots_command)
