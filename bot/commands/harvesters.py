"""/harvesters: one entry per harvester, by machine name and short node id."""
from __future__ import annotations

from bot.commands import format as fmt
from bot.commands.base import Command, CommandContext
from bot.commands.farm import DAY, EMPTY_FARM, no_args
from bot.reply import Reply, Section
from bot.stats.farming import FarmingTotals, incomplete_note, window_totals
from bot.stats.harvesters import harvesters
from bot.transports.base import Incoming
from teafarm import units


def by_node(per_harvester: dict[tuple[str, str], FarmingTotals]) -> dict[str, FarmingTotals]:
    """Farming totals per harvester node id (a harvester seen by two farmers counts once per farmer)."""
    found: dict[str, FarmingTotals] = {}
    for (_machine, node), totals in per_harvester.items():
        found.setdefault(node, FarmingTotals()).add(totals)
    return found


def harvesters_command(ctx: CommandContext, args: str, who: Incoming) -> Reply:
    no_args(args, "harvesters")
    now = ctx.now()
    views = harvesters(ctx.reader)
    if not views:
        if not ctx.reader.machines():
            return Reply.text("Harvesters", EMPTY_FARM)
        return Reply.text("Harvesters", "No harvester reported yet (no farmer, and no client on a harvester machine).")
    farming = by_node(window_totals(ctx.reader, ctx.botdb, now - DAY, now))
    sections = []
    for h in views:
        if not h.farmer_machine:
            status = "not seen by any farmer"
        elif h.connected:
            status = "connected"
        else:
            status = f"GONE since {fmt.ago(h.disconnected_since, now)}" if h.disconnected_since else "GONE"
        totals = farming.get(h.node_id, FarmingTotals())
        sections.append(Section(heading=h.label, lines=[
            f"{status}; last answer {fmt.ago(h.last_answer_time, now)}",
            f"plots: {h.plots:,} valid, {h.invalid} invalid, {h.missing_key} missing key, {h.duplicate} duplicate; "
            f"{units.size(h.size)} ({units.size(h.effective_size)} effective)",
            f"24 h: missed {totals.lost} of {totals.expected} SPs ({fmt.percent(totals.lost, totals.expected)}), "
            f"lookup p95 {fmt.lookup(totals.lookup_p95)}, {fmt.count(totals.proofs, 'proof')}",
        ]))
    connected = sum(1 for h in views if h.connected)
    note = incomplete_note(ctx.reader, ctx.botdb)
    return Reply(f"Harvesters ({connected} of {len(views)} connected)", sections + ([Section(lines=note)] if note else []))


COMMAND = Command("harvesters", "Every harvester: connection, plots, missed signage points, lookup times, proofs",
                  harvesters_command)
