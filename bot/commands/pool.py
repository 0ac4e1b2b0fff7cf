"""/pool: points, partials accepted and failed, errors, per pool (plot NFT)."""
from __future__ import annotations

from bot.commands.base import Command, CommandContext
from bot.commands.farm import DAY, EMPTY_FARM, no_args
from bot.reply import Reply, Section
from bot.transports.base import Incoming


def pool_command(ctx: CommandContext, args: str, who: Incoming) -> Reply:
    no_args(args, "pool")
    if not ctx.reader.machines():
        return Reply.text("Pool", EMPTY_FARM)
    pools = ctx.reader.state("pool")
    if not pools:
        return Reply.text("Pool", "No pool reported (solo farming, or no farmer with a plot NFT).")
    since = ctx.now() - DAY
    partials = {r["launcher_id"]: r for r in ctx.reader.query(
        "SELECT launcher_id, total(accepted) AS ok, count(*) - total(accepted) AS failed FROM partial_events "
        "WHERE time >= ? GROUP BY launcher_id", (since,))}
    sections = []
    for p in pools:
        counted = partials.get(p["launcher_id"])
        ok, failed = (int(counted["ok"]), int(counted["failed"])) if counted else (0, 0)
        lines = [
            f"{'reachable' if p['reachable'] else 'UNREACHABLE'}; points {p['current_points']:,}, difficulty {p['current_difficulty']}",
            f"24 h: partials {ok} accepted, {failed} failed; points found {p['points_found_24h']}, "
            f"acknowledged {p['points_acknowledged_24h']}; errors {p['pool_errors_24h']}",
        ]
        if p["last_error"]:
            lines.append(f"last error: {p['last_error']}")
        sections.append(Section(heading=f"{p['pool_url'] or 'pool'} ({p['launcher_id'][:8]}, {p['machine']})", lines=lines))
    return Reply("Pool", sections)


COMMAND = Command("pool", "Pool points, partials accepted and failed, errors", pool_command)
