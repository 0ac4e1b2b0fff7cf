"""Chia RPC answers and daemon events -> teafarm protobuf messages.

Tolerant by design: unknown keys are ignored, a missing or mistyped key gives the field's empty
value, never an exception (third-party harvesters and new chia releases send odd payloads).
"""
from __future__ import annotations

from typing import Any

from monitor.client.chia.chia_root import node_id_hex
from protocol import chia_pb2


def as_int(value: Any) -> int:
    if isinstance(value, bool):
        return int(value)
    if isinstance(value, int):
        return max(0, value)
    if isinstance(value, float) and value == value:
        return max(0, int(value))
    if isinstance(value, list):          # full lists where a count was expected (get_harvesters)
        return len(value)
    return 0


def as_float(value: Any) -> float:
    return float(value) if isinstance(value, int | float) and not isinstance(value, bool) and value == value else 0.0


def as_dict(value: Any) -> dict:
    return value if isinstance(value, dict) else {}


def as_str(value: Any) -> str:
    return value if isinstance(value, str) else ""


def harvester_counts(entry: dict) -> chia_pb2.Harvester | None:
    """One entry of get_harvesters_summary / get_harvesters or a harvester_update event."""
    node_id = node_id_hex(as_dict(entry.get("connection")).get("node_id"))
    if len(node_id) != 64:
        return None
    return chia_pb2.Harvester(
        id=node_id, node_id=node_id, host=as_str(as_dict(entry.get("connection")).get("host")), connected=True,
        plots=as_int(entry.get("plots")), invalid_plots=as_int(entry.get("failed_to_open_filenames")),
        missing_key_plots=as_int(entry.get("no_key_filenames")), duplicate_plots=as_int(entry.get("duplicates")),
        total_plot_size=as_int(entry.get("total_plot_size")),
        total_effective_size=as_int(entry.get("total_effective_plot_size")),
        syncing=bool(entry.get("syncing")), last_sync_time=as_float(entry.get("last_sync_time")))


def full_node(state: dict, network: str) -> chia_pb2.FullNode:
    """get_blockchain_state's `blockchain_state`."""
    sync, peak = as_dict(state.get("sync")), as_dict(state.get("peak"))
    return chia_pb2.FullNode(
        synced=bool(sync.get("synced")), syncing=bool(sync.get("sync_mode")), peak_height=as_int(peak.get("height")),
        sync_tip_height=as_int(sync.get("sync_tip_height")), sync_progress_height=as_int(sync.get("sync_progress_height")),
        peak_time=as_float(peak.get("timestamp")), netspace_bytes=as_float(state.get("space")),
        difficulty=as_int(state.get("difficulty")), network=network)


def wallet(sync: dict, height: dict, farmed: dict) -> chia_pb2.Wallet:
    """get_sync_status, get_height_info and get_farmed_amount answers (any may be {})."""
    return chia_pb2.Wallet(
        synced=bool(sync.get("synced")), syncing=bool(sync.get("syncing")), height=as_int(height.get("height")),
        farmed_amount=as_int(farmed.get("farmed_amount")), pool_reward_amount=as_int(farmed.get("pool_reward_amount")),
        farmer_reward_amount=as_int(farmed.get("farmer_reward_amount")), fee_amount=as_int(farmed.get("fee_amount")),
        last_height_farmed=as_int(farmed.get("last_height_farmed")), blocks_won=as_int(farmed.get("blocks_won")))


def wallet_transaction(entry: Any, fingerprint: int) -> chia_pb2.WalletTransaction | None:
    """One transaction of get_transactions (None without a transaction id)."""
    entry = as_dict(entry)
    tx_id = node_id_hex(entry.get("name"))
    if len(tx_id) != 64:
        return None
    return chia_pb2.WalletTransaction(
        id=tx_id, wallet_id=as_int(entry.get("wallet_id")), fingerprint=fingerprint, type=as_int(entry.get("type")),
        amount=as_int(entry.get("amount")), fee_amount=as_int(entry.get("fee_amount")), confirmed=bool(entry.get("confirmed")),
        confirmed_at_height=as_int(entry.get("confirmed_at_height")), created_at_time=as_float(entry.get("created_at_time")),
        to_address=as_str(entry.get("to_address")))


def _recent(entries: Any, now: float) -> int:
    """Entries of a farmer `*_24h` list ([time, value] pairs) within the last 24 h."""
    if not isinstance(entries, list):
        return 0
    return sum(1 for e in entries if isinstance(e, list | tuple) and e and as_float(e[0]) >= now - 86400)


def pool(state: dict, now: float) -> chia_pb2.Pool | None:
    """One entry of get_pool_state's `pool_state`."""
    config = as_dict(state.get("pool_config"))
    launcher = node_id_hex(config.get("launcher_id") or state.get("p2_singleton_puzzle_hash"))
    if not launcher:
        return None
    errors = state.get("pool_errors_24h")
    last_error = ""
    if isinstance(errors, list) and errors and isinstance(errors[-1], list | tuple) and len(errors[-1]) > 1:
        detail = errors[-1][1]
        last_error = as_str(as_dict(detail).get("error_message")) or str(detail)[:200]
    return chia_pb2.Pool(
        id=launcher, launcher_id=launcher, pool_url=as_str(config.get("pool_url")),
        current_points=as_int(state.get("current_points")), current_difficulty=as_int(state.get("current_difficulty")),
        points_found_24h=_recent(state.get("points_found_24h"), now),
        points_acknowledged_24h=_recent(state.get("points_acknowledged_24h"), now),
        pool_errors_24h=_recent(errors, now), last_error=last_error,
        reachable=_recent(errors, now) == 0 or _recent(state.get("points_acknowledged_24h"), now) > 0)


# partial outcomes the farmer records with their time in its pool state: list name -> (accepted, error)
PARTIAL_LISTS = {
    "valid_partials_24h": (True, ""),
    "invalid_partials_24h": (False, "invalid partial"),
    "stale_partials_24h": (False, "stale partial"),
    "missing_partials_24h": (False, "missing partial"),
    "insufficient_partials_24h": (False, "insufficient partial"),
    "pool_errors_24h": (False, "pool error"),
}


def plot_from_rpc(entry: dict, node_id: str) -> chia_pb2.Plot | None:
    """One plot of the harvester's get_plots answer (valid plots)."""
    plot_id = node_id_hex(entry.get("plot_id"))
    filename = as_str(entry.get("filename"))
    if not plot_id or not filename:
        return None
    size = as_int(entry.get("size"))
    v2 = bool(size & 0x80)                     # .plot2 files report 0x80 | strength, not k
    return chia_pb2.Plot(
        id=plot_id, harvester_node_id=node_id, filename=filename, k=0 if v2 else size, v2=v2,
        compression=as_int(entry.get("compression_level")), file_size=as_int(entry.get("file_size")),
        time_modified=as_float(entry.get("time_modified")), status=chia_pb2.VALID)
