"""/node and /wallet: sync state, height, netspace, farmed amount; chia services and log levels."""
from __future__ import annotations

import logging

from bot.commands import format as fmt
from bot.commands.base import Command, CommandContext
from bot.commands.farm import EMPTY_FARM, no_args, node_line, wallet_line
from bot.reply import Reply, Section
from bot.transports.base import Incoming
from monitor.chia_consensus import plot_filter
from teafarm import units


def node_command(ctx: CommandContext, args: str, who: Incoming) -> Reply:
    no_args(args, "node")
    if not ctx.reader.machines():
        return Reply.text("Full node", EMPTY_FARM)
    sections = []
    for n in ctx.reader.state("full_node"):
        network = n["network"] or "mainnet"
        sections.append(Section(heading=n["machine"], lines=[
            node_line(n), f"network {network}, netspace {units.size(n['netspace_bytes'])}, difficulty {n['difficulty']}, "
                          f"plot filter 1/{plot_filter(network, n['peak_height'] or 0) or '?'}"]))
    services = ctx.reader.state("chia_service")
    if services:
        lines = []
        for s in services:
            if s["state"] == "NOT_INSTALLED":
                continue
            note = " (log level hides what teafarm reads: set INFO)" if hides_info(s["log_level"] or "") else ""
            lines.append(f"{s['machine']} {s['id']}: {s['state'].lower()} {s['version'] or ''}{note}".rstrip())
        if lines:
            sections.append(Section(heading="chia services", lines=lines))
    if not sections:
        return Reply.text("Full node", "No full node or chia service reported.")
    return Reply("Full node", sections)


def hides_info(level: str) -> bool:
    """Chia logs nothing teafarm reads at any level above INFO (WARNING, ERROR, CRITICAL)."""
    number = logging.getLevelName(level.upper())
    return isinstance(number, int) and number > logging.INFO


def wallet_command(ctx: CommandContext, args: str, who: Incoming) -> Reply:
    no_args(args, "wallet")
    if not ctx.reader.machines():
        return Reply.text("Wallet", EMPTY_FARM)
    wallets = ctx.reader.state("wallet")
    if not wallets:
        return Reply.text("Wallet", "No wallet reported.")
    sections = [Section(heading=w["machine"], lines=[
        wallet_line(w),
        f"rewards: pool {fmt.xch(w['pool_reward_amount'])}, farmer {fmt.xch(w['farmer_reward_amount'])}, fees {fmt.xch(w['fee_amount'])}",
        f"blocks won {w['blocks_won']}, last at height {w['last_height_farmed'] or '-'}"]) for w in wallets]
    return Reply("Wallet", sections)


NODE = Command("node", "Full node sync, height, netspace; chia services and their log levels", node_command)
WALLET = Command("wallet", "Wallet sync and farmed amount", wallet_command)
