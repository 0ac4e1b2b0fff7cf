"""/farm: the whole farm in one reply."""
from __future__ import annotations

from bot.alerts.lifecycle import FIRING, open_alerts
from bot.commands import format as fmt
from bot.commands.base import Command, CommandContext, CommandError
from bot.reply import Button, Reply, Section
from bot.stats.chain import expected_eligible, expected_time_to_win
from bot.stats.farming import farm_total, incomplete_note, skipped_signage_points, window_totals
from bot.stats.harvesters import harvesters
from bot.transports.base import Incoming
from monitor.chia_consensus import plot_filter
from teafarm import units

DAY = 86400.0
EMPTY_FARM = "No machine has reported yet: start `teafarm client` on each machine (or `teafarm up` on this one)."


def no_args(args: str, name: str) -> None:
    if args.strip():
        raise CommandError(f"/{name} takes no arguments (got '{args.strip()}')")


def best_full_node(ctx: CommandContext) -> dict | None:
    rows = ctx.reader.state("full_node")
    return max(rows, key=lambda r: (bool(r["synced"]), r["peak_height"] or 0)) if rows else None


def best_wallet(ctx: CommandContext) -> dict | None:
    rows = ctx.reader.state("wallet")
    return max(rows, key=lambda r: (bool(r["synced"]), r["height"] or 0)) if rows else None


def node_line(node: dict | None) -> str:
    if node is None:
        return "full node: none reported"
    if node["synced"]:
        return f"full node: synced, height {node['peak_height']:,}"
    if node["syncing"]:
        return f"full node: SYNCING {node['sync_progress_height']:,} / {node['sync_tip_height']:,}"
    return f"full node: NOT SYNCED (height {node['peak_height']:,})"


def wallet_line(wallet: dict | None) -> str:
    if wallet is None:
        return "wallet: none reported"
    state = "synced" if wallet["synced"] else ("SYNCING" if wallet["syncing"] else "NOT SYNCED")
    return f"wallet: {state}, height {wallet['height']:,}, farmed {fmt.xch(wallet['farmed_amount'])}"


def skipped_note(ctx: CommandContext, start: float, end: float) -> str:
    """The part of the missed ones that the full node never received (every harvester missed those)."""
    seen, skipped = skipped_signage_points(ctx.reader, start, end)
    return f", {skipped:,} of {seen + skipped:,} skipped by the full node" if skipped else ""


def farm(ctx: CommandContext, args: str, who: Incoming) -> Reply:
    no_args(args, "farm")
    now = ctx.now()
    machines = ctx.reader.machines()
    if not machines:
        return Reply("Farm", [Section(lines=[EMPTY_FARM])], buttons=[REFRESH])
    online = sum(1 for m in machines if m["connected"])
    views = [h for h in harvesters(ctx.reader) if h.farmer_machine]
    plots = sum(h.plots for h in views)
    raw = sum(h.size for h in views)
    effective = sum(h.effective_size for h in views)
    if not views:   # no farmer reports: count what the harvesters' own clients report
        row = ctx.reader.query("SELECT count(*), total(file_size) FROM plot WHERE status = 'VALID'")[0]
        plots, raw, effective = row[0], int(row[1]), int(row[1])
    proofs = ctx.reader.query("SELECT count(*) FROM proof_events WHERE time >= ?", (now - DAY,))[0][0]
    blocks = ctx.reader.query("SELECT count(*) FROM block_events WHERE time >= ?", (now - DAY,))[0][0]
    farming = farm_total(window_totals(ctx.reader, ctx.botdb, now - DAY, now))
    node = best_full_node(ctx)
    lines = [
        f"machines online: {online} / {len(machines)}",
        f"harvesters connected: {sum(1 for h in views if h.connected)} / {len(views)}",
        f"plots: {plots:,} ({units.size(raw)} raw, {units.size(effective)} effective)",
        f"last 24 h: {fmt.count(proofs, 'proof')}, {fmt.count(blocks, 'block')}",
        f"missed signage points (24 h): {farming.lost:,} of {farming.expected:,} ({fmt.percent(farming.lost, farming.expected)})"
        + skipped_note(ctx, now - DAY, now),
        f"lookup p95 (24 h): {fmt.lookup(farming.lookup_p95)}",
        node_line(node),
    ]
    if node is not None:
        netspace = node["netspace_bytes"] or 0.0
        network, height = node["network"] or "mainnet", node["peak_height"] or 0
        eligible = expected_eligible(plots, network, height)
        lines.append(f"netspace: {units.size(netspace)}, plot filter 1/{plot_filter(network, height) or '?'} "
                     f"(expected eligible plots per signage point: {'?' if eligible is None else f'{eligible:.1f}'})")
        etw = expected_time_to_win(effective, netspace)
        lines.append(f"expected time to win: {units.duration(etw) if etw else '-'}")
    lines.append(wallet_line(best_wallet(ctx)))
    lines.append(f"open alerts: {len(open_alerts(ctx.botdb, FIRING))}")
    return Reply("Farm", [Section(lines=lines + incomplete_note(ctx.reader, ctx.botdb))], buttons=[REFRESH])


REFRESH = Button("Refresh", "refresh", "/farm")


COMMAND = Command("farm", "The whole farm: machines, harvesters, plots, proofs, missed signage points, sync", farm)
