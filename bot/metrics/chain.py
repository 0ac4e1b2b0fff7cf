"""Chia's services per machine: full node (sync, height, netspace), wallet, farmer, pools, each
service's state and the log parsers' health; and the farm's expected time to win
(bot.stats.chain), from the state tables."""
from __future__ import annotations

from collections.abc import Iterator

from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, Metric

from bot.metrics.sources import Sources
from bot.stats.chain import expected_time_to_win

MOJO_PER_XCH = 10**12
MACHINE = ["machine"]
NODE = ["machine", "network"]
POOL = ["machine", "launcher_id"]
SERVICE_STATES = {"RUNNING": "running", "STOPPED": "stopped", "FAILING": "failing", "NOT_INSTALLED": "not_installed",
                  "SERVICE_STATE_UNKNOWN": "unknown"}


def collect(src: Sources) -> Iterator[Metric]:
    yield from node(src)
    yield from wallet(src)
    yield from farmer(src)
    yield from pools(src)
    yield from services(src)
    yield from log_health(src)


def node(src: Sources) -> Iterator[Metric]:
    synced = GaugeMetricFamily("teafarm_node_synced", "1 while the full node is synced", labels=NODE)
    syncing = GaugeMetricFamily("teafarm_node_syncing", "1 while the full node is syncing", labels=NODE)
    height = GaugeMetricFamily("teafarm_node_peak_height", "Height of the node's peak block", labels=NODE)
    tip = GaugeMetricFamily("teafarm_node_sync_tip_height", "Height the node is syncing to", labels=NODE)
    netspace = GaugeMetricFamily("teafarm_netspace_bytes", "Estimated space of the whole network", labels=NODE)
    difficulty = GaugeMetricFamily("teafarm_node_difficulty", "Current difficulty", labels=NODE)
    for r in src.query("SELECT machine, network, synced, syncing, peak_height, sync_tip_height, netspace_bytes, "
                       "difficulty FROM full_node"):
        labels = [r[0], r[1] or ""]
        for family, value in zip((synced, syncing, height, tip, netspace, difficulty), r[2:]):
            family.add_metric(labels, float(value or 0))
    yield from (synced, syncing, height, tip, netspace, difficulty)
    yield time_to_win(src)


def time_to_win(src: Sources) -> Metric:
    family = GaugeMetricFamily("teafarm_expected_time_to_win_seconds",
                               "Expected time until the farm wins a block: netspace / the connected harvesters' "
                               "effective size x the average block time (absent without a synced node)")
    space = src.query("SELECT total(total_effective_size) FROM harvester WHERE connected")[0][0]
    netspace = src.query("SELECT max(netspace_bytes) FROM full_node WHERE synced")[0][0]
    seconds = expected_time_to_win(space, netspace or 0.0)
    if seconds is not None:
        family.add_metric([], seconds)
    return family


def wallet(src: Sources) -> Iterator[Metric]:
    synced = GaugeMetricFamily("teafarm_wallet_synced", "1 while the wallet is synced", labels=MACHINE)
    height = GaugeMetricFamily("teafarm_wallet_height", "The wallet's height", labels=MACHINE)
    amounts = {
        "farmed_amount": GaugeMetricFamily("teafarm_wallet_farmed_xch", "XCH farmed (the wallet's farmed amount)", labels=MACHINE),
        "pool_reward_amount": GaugeMetricFamily("teafarm_wallet_pool_rewards_xch", "XCH of pool rewards farmed", labels=MACHINE),
        "farmer_reward_amount": GaugeMetricFamily("teafarm_wallet_farmer_rewards_xch", "XCH of farmer rewards", labels=MACHINE),
        "fee_amount": GaugeMetricFamily("teafarm_wallet_fees_xch", "XCH of fees farmed", labels=MACHINE),
    }
    blocks = GaugeMetricFamily("teafarm_wallet_blocks_won", "Blocks the wallet counts as won", labels=MACHINE)
    for r in src.store.state("wallet"):
        machine = [r["machine"]]
        synced.add_metric(machine, 1 if r["synced"] else 0)
        height.add_metric(machine, r["height"] or 0)
        for column, family in amounts.items():
            family.add_metric(machine, (r[column] or 0) / MOJO_PER_XCH)
        blocks.add_metric(machine, r["blocks_won"] or 0)
    yield from (synced, height, *amounts.values(), blocks)
    yield wallet_transactions(src)


# chia's TransactionType as the bot's wallet alerts group it (bot/alerts/rules/wallet.py)
TRANSACTION_DIRECTIONS = {0: "received", 4: "received", 6: "received", 1: "sent", 5: "sent", 8: "sent",
                          2: "reward", 3: "reward"}


def wallet_transactions(src: Sources) -> Metric:
    """When each machine's wallet last listed a transaction of each direction: a change is a coin
    received, sent or a block's reward (the state keeps only the newest few, so no running count)."""
    family = GaugeMetricFamily("teafarm_wallet_last_transaction_timestamp_seconds",
                               "Creation time of the newest transaction the wallet lists, by direction (Unix time)",
                               labels=[*MACHINE, "direction"])
    newest: dict[tuple[str, str], float] = {}
    for machine, kind, created in src.query("SELECT machine, type, created_at_time FROM wallet_transaction"):
        direction = TRANSACTION_DIRECTIONS.get(kind or 0)
        if direction:
            newest[(machine, direction)] = max(newest.get((machine, direction), 0.0), created or 0.0)
    for labels, created in sorted(newest.items()):
        family.add_metric(list(labels), created)
    return family


def farmer(src: Sources) -> Iterator[Metric]:
    harvesters = GaugeMetricFamily("teafarm_farmer_harvesters_connected", "Harvesters connected to the farmer", labels=MACHINE)
    full_node = GaugeMetricFamily("teafarm_farmer_full_node_connected", "1 while the farmer reaches its full node", labels=MACHINE)
    signage = GaugeMetricFamily("teafarm_farmer_last_signage_point_timestamp_seconds",
                                "When the farmer last received a signage point (Unix time)", labels=MACHINE)
    for machine, connected, node_connected, last in src.query(
            "SELECT machine, harvesters_connected, full_node_connected, last_signage_point_time FROM farmer"):
        harvesters.add_metric([machine], connected or 0)
        full_node.add_metric([machine], 1 if node_connected else 0)
        if last:
            signage.add_metric([machine], last)
    yield from (harvesters, full_node, signage)


def pools(src: Sources) -> Iterator[Metric]:
    info = GaugeMetricFamily("teafarm_pool_info", "Always 1: the pool a plot NFT farms to", labels=[*POOL, "pool_url"])
    points = GaugeMetricFamily("teafarm_pool_points", "Points the pool currently credits", labels=POOL)
    difficulty = GaugeMetricFamily("teafarm_pool_difficulty", "Current partial difficulty", labels=POOL)
    found = GaugeMetricFamily("teafarm_pool_points_found_24h", "Points found in the last 24 h (chia's own count)", labels=POOL)
    acknowledged = GaugeMetricFamily("teafarm_pool_points_acknowledged_24h", "Points the pool acknowledged in the last 24 h", labels=POOL)
    errors = GaugeMetricFamily("teafarm_pool_errors_24h", "Pool errors in the last 24 h", labels=POOL)
    reachable = GaugeMetricFamily("teafarm_pool_reachable", "1 while the pool answers", labels=POOL)
    for r in src.query("SELECT machine, launcher_id, pool_url, current_points, current_difficulty, points_found_24h, "
                       "points_acknowledged_24h, pool_errors_24h, reachable FROM pool"):
        labels = [r[0], r[1] or ""]
        info.add_metric([*labels, r[2] or ""], 1)
        for family, value in zip((points, difficulty, found, acknowledged, errors), r[3:8]):
            family.add_metric(labels, value or 0)
        reachable.add_metric(labels, 1 if r[8] else 0)
    yield from (info, points, difficulty, found, acknowledged, errors, reachable)


def services(src: Sources) -> Iterator[Metric]:
    # only the current state (1): the others' zeros would be 4 of every 5 samples; "was it running
    # yesterday?" is max_over_time(...{state="running"}[1d]) all the same
    family = GaugeMetricFamily("teafarm_chia_service_state", "1 with the chia service's current state (running, stopped, "
                               "failing, not_installed, unknown)", labels=["machine", "service", "state"])
    for machine, service, state in src.query("SELECT machine, id, state FROM chia_service"):
        family.add_metric([machine, service, SERVICE_STATES.get(state, "unknown")], 1)
    yield family


def log_health(src: Sources) -> Iterator[Metric]:
    labels = ["machine", "file", "parser"]
    blind = GaugeMetricFamily("teafarm_log_parser_blind", "1 when a chia log parser that used to match stopped "
                              "matching while the log grows", labels=labels)
    matched = CounterMetricFamily("teafarm_log_parser_lines_matched", "Log lines the parser recognised "
                                  "(since the client started)", labels=labels)
    for machine, file, parser, is_blind, lines in src.query(
            "SELECT machine, file, parser, blind, lines_matched FROM log_health"):
        blind.add_metric([machine, file or "", parser or ""], 1 if is_blind else 0)
        matched.add_metric([machine, file or "", parser or ""], lines or 0)
    yield from (blind, matched)
