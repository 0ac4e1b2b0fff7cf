"""The daily summary, once a day at `bot.alerts.daily_summary` ("" = none): what the last 24 hours
brought (plots added and removed, size, proofs, blocks, partials and pool points, signage points
skipped and missed with the worst harvester, the worst lookups, coins received, alerts opened and
closed), the chances ahead (netspace, expected time to win), what is still open, and one small
chart (missed signage points per harvester)."""
from __future__ import annotations

import sqlite3
from dataclasses import replace

from bot.alerts.lifecycle import FIRING, open_alerts
from bot.alerts.outbox import enqueue
from bot.alerts.rules.wallet import INCOMING, REWARDS
from bot.charts.draw import SMALL
from bot.commands import format as fmt
from bot.commands.base import CommandContext
from bot.commands.chart import image_of, missed_chart
from bot.commands.farm import DAY, EMPTY_FARM, best_full_node
from bot.commands.harvesters import by_node
from bot.reply import Reply, Section
from bot.stats import daily
from bot.stats.chain import expected_time_to_win
from bot.stats.farming import farm_total, skipped_signage_points, window_totals
from bot.stats.harvesters import harvester_label, machines_of
from monitor.sqlite_tx import transaction
from monitor.store.reader import StoreReader
from teafarm import units

RECEIVED = (*INCOMING, *REWARDS)      # chia's TransactionType of coins coming in (transfers, rewards, trades, clawbacks)


def daily_summary(ctx: CommandContext) -> Reply:
    now = ctx.now()
    ctx = replace(ctx, now=lambda: now)        # one `now` for every figure and the chart
    machines = ctx.reader.machines()
    if not machines:
        return Reply.text("Daily summary", EMPTY_FARM, severity="info")
    size = daily.record(ctx.reader, ctx.botdb, now)
    sections = [Section("farm", _farm(ctx, machines, size, now)), Section("last 24 h", _day(ctx, now)),
                Section("ahead", _ahead(ctx, size[2])), Section("alerts", _alerts(ctx.botdb, now))]
    chart = missed_chart(ctx, "24h", size=SMALL)
    return Reply("Daily summary", sections, "info", images=[image_of(chart)], at=now)


def _farm(ctx: CommandContext, machines: list[dict], size: tuple[int, int, int], now: float) -> list[str]:
    plots, raw, effective = size
    added, removed = plots_changed(ctx.reader, now - DAY)
    before = daily.around(ctx.botdb, now - DAY)
    change = (f" ({'+' if raw >= before.raw_bytes else '-'}{units.size(abs(raw - before.raw_bytes))} in 24 h)"
              if before is not None else " (no figure from 24 h ago yet)")
    return [f"machines online: {sum(1 for m in machines if m['connected'])} / {len(machines)}",
            f"plots: {plots:,} (+{added:,} / -{removed:,} in 24 h)",
            f"size: {units.size(raw)} raw{change}, {units.size(effective)} effective"]


def _day(ctx: CommandContext, now: float) -> list[str]:
    reader, start = ctx.reader, now - DAY
    proofs = reader.query("SELECT count(*) FROM proof_events WHERE time >= ?", (start,))[0][0]
    blocks = reader.query("SELECT count(*) FROM block_events WHERE time >= ?", (start,))[0][0]
    accepted, failed = reader.query("SELECT total(accepted), total(NOT accepted) FROM partial_events WHERE time >= ?", (start,))[0]
    points = reader.query("SELECT total(current_points), total(points_found_24h) FROM pool")[0]
    per_harvester = window_totals(reader, ctx.botdb, start, now)
    per_node = by_node(per_harvester)
    total = farm_total(per_node)
    seen, skipped = skipped_signage_points(reader, start, now)
    home = {node: machine for machine, node in per_harvester} | machines_of(reader)
    lines = [f"proofs: {proofs}, blocks: {blocks}",
             f"partials: {int(accepted):,} accepted, {int(failed):,} failed; pool points {int(points[0]):,} "
             f"({int(points[1]):,} found in 24 h)",
             f"missed signage points (24 h): {total.lost:,} of {total.expected:,} ({fmt.percent(total.lost, total.expected)})",
             f"skipped by the full node: {skipped:,} of {seen + skipped:,} ({fmt.percent(skipped, seen + skipped)})"]
    if per_node:
        node, worst = max(per_node.items(), key=lambda kv: (kv[1].lost / max(1, kv[1].expected), kv[1].lost))
        lines.append(f"worst harvester: {harvester_label(home[node], node)}, {worst.lost:,} missed of {worst.expected:,} "
                     f"({fmt.percent(worst.lost, worst.expected)})")
        node, slowest = max(per_node.items(), key=lambda kv: kv[1].lookup_p95 or 0.0)
        lines.append(f"worst lookup p95: {fmt.lookup(slowest.lookup_p95)} ({harvester_label(home[node], node)})")
    count, mojo = coins_received(reader, start)
    lines.append(f"coins received: {fmt.xch(mojo)} ({count} transaction{'s' if count != 1 else ''})")
    return lines


def _ahead(ctx: CommandContext, effective: int) -> list[str]:
    node = best_full_node(ctx)
    if node is None:
        return ["netspace: no full node reported"]
    netspace = node["netspace_bytes"] or 0.0
    etw = expected_time_to_win(effective, netspace)
    return [f"netspace: {units.size(netspace)}, expected time to win: {units.duration(etw) if etw else '-'}"]


def _alerts(botdb: sqlite3.Connection, now: float) -> list[str]:
    opened, closed = alerts_opened_closed(botdb, now - DAY)
    firing = open_alerts(botdb, FIRING)
    return [f"in 24 h: {opened} opened (warning or critical), {closed} closed; open now: {len(firing)}",
            *(f"[{a.severity}] {a.title}: {a.detail}" for a in firing)]


def plots_changed(reader: StoreReader, since: float) -> tuple[int, int]:
    """(plot files added, removed) since then, as the harvesters' own clients reported them."""
    counts = dict(reader.query("SELECT event_type, count(*) FROM plot_events WHERE time >= ? "
                               "AND event_type IN ('ADD', 'DELETE') GROUP BY 1", (since,)))
    return counts.get("ADD", 0), counts.get("DELETE", 0)


def coins_received(reader: StoreReader, since: float) -> tuple[int, int]:
    """(transactions, mojo) that came into the farm's wallets since then, each id once."""
    row = reader.query(f"SELECT count(*), total(amount) FROM (SELECT DISTINCT id, amount FROM wallet_transaction "
                       f"WHERE confirmed AND type IN ({', '.join(map(str, RECEIVED))}) AND created_at_time >= ?)", (since,))[0]
    return row[0], int(row[1])


def alerts_opened_closed(botdb: sqlite3.Connection, since: float) -> tuple[int, int]:
    """Problems announced (warning or critical, reminders apart) and recoveries sent since then."""
    row = botdb.execute(
        "SELECT total(json_extract(reply, '$.severity') IN ('critical', 'warning') AND json_extract(reply, '$.title') "
        "NOT LIKE 'Still: %'), total(json_extract(reply, '$.severity') = 'ok') FROM outbox WHERE created >= ?", (since,)).fetchone()
    return int(row[0]), int(row[1])


def queue_daily_summary(ctx: CommandContext) -> None:
    reply = daily_summary(ctx)
    now = ctx.now()
    with transaction(ctx.botdb):
        enqueue(ctx.botdb, reply, "", "daily_summary", now, now)
