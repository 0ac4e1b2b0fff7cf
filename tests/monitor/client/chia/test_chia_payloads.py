"""Recorded and odd chia payloads -> protobuf: unknown keys ignored, missing or mistyped keys harmless."""
from __future__ import annotations

import copy

from monitor.client.chia import payloads
from protocol import chia_pb2
from tests.helpers.fake_chia import recorded

SAMPLES = recorded()
SIM = recorded("rpc-2.7.5-simulator.json")
NODE = "6348b90104bd04ffcd68bf8a1606488cd768ac5d4303b88655778017fcf1723c"


def test_harvester_summary_as_recorded():
    entry = SAMPLES["farmer.get_harvesters_summary"]["response"]["harvesters"][0]
    h = payloads.harvester_counts(entry)
    assert (h.id, h.node_id, h.host, h.connected) == (NODE, NODE, "127.0.0.1", True)
    assert (h.plots, h.invalid_plots, h.missing_key_plots, h.duplicate_plots) == (10, 1, 1, 1)
    assert (h.total_plot_size, h.total_effective_size) == (38478299, 37827379)
    assert h.last_sync_time == 1795830598.2234268 and not h.syncing


def test_full_get_harvesters_lists_count_like_the_summary():
    entry = SAMPLES["farmer.get_harvesters"]["response"]["harvesters"][0]
    h = payloads.harvester_counts(entry)
    assert (h.invalid_plots, h.missing_key_plots, h.duplicate_plots) == (1, 1, 1)
    assert h.plots == 3      # the recorded list was shortened to 3 entries


def test_odd_harvester_entries():
    entry = copy.deepcopy(SAMPLES["farmer.get_harvesters_summary"]["response"]["harvesters"][0])
    entry.update(new_key_from_2030={"x": 1}, plots="many", total_plot_size=None, syncing={"initial": True})
    del entry["duplicates"]
    h = payloads.harvester_counts(entry)
    assert (h.plots, h.duplicate_plots, h.total_plot_size, h.syncing) == (0, 0, 0, True)
    assert payloads.harvester_counts({"connection": {"node_id": "0x1234"}}) is None    # not a node id
    assert payloads.harvester_counts({}) is None


def test_full_node_from_the_simulator():
    state = SIM["full_node.get_blockchain_state"]["response"]["blockchain_state"]
    node = payloads.full_node(state, "testnet11")
    assert node.synced and node.peak_height == 5 and node.difficulty == 1024 and node.network == "testnet11"
    assert node.netspace_bytes == state["space"]
    before = SIM["full_node.get_blockchain_state(no peak)"]["response"]["blockchain_state"]
    assert payloads.full_node(before, "testnet11").peak_height == 0     # "peak": null before the first block
    assert payloads.full_node({"space": 2.5e20, "sync": "odd"}, "mainnet").netspace_bytes == 2.5e20   # > 2^64


def test_wallet_from_the_simulator():
    wallet = payloads.wallet(SIM["wallet.get_sync_status"]["response"], SIM["wallet.get_height_info"]["response"],
                             SIM["wallet.get_farmed_amount(no peak)"]["response"])
    assert wallet.synced and not wallet.syncing and wallet.height == 5 and wallet.blocks_won == 0
    farmed = {"farmed_amount": 2_000_000_000_000, "blocks_won": 1, "last_height_farmed": 77, "extra": [1]}
    assert payloads.wallet({}, {}, farmed).farmed_amount == 2_000_000_000_000


def pool_state(now):
    """get_pool_state entry, shape from chia's farmer.py (no pool can be joined offline)."""
    return {
        "p2_singleton_puzzle_hash": "ab" * 32, "current_points": 120, "current_difficulty": 4,
        "points_found_since_start": 8, "points_found_24h": [[now - 100, 4], [now - 90000, 4], [now - 50, 4]],
        "points_acknowledged_24h": [[now - 100, 4]], "pool_errors_24h": [[now - 10, {"error_code": 5, "error_message": "Too late"}]],
        "valid_partials_24h": [], "plot_count": 3, "authentication_token_timeout": 5,
        "pool_config": {"launcher_id": "0x" + "cd" * 32, "pool_url": "https://pool.example", "payout_instructions": "x"},
    }


def test_pool_counts_the_last_24_hours():
    now = 1_800_000_000.0
    pool = payloads.pool(pool_state(now), now)
    assert (pool.id, pool.pool_url, pool.current_points, pool.current_difficulty) == ("cd" * 32, "https://pool.example", 120, 4)
    assert (pool.points_found_24h, pool.points_acknowledged_24h, pool.pool_errors_24h) == (2, 1, 1)
    assert pool.last_error == "Too late"


def test_plots_from_get_plots_including_v2():
    entry = SAMPLES["harvester.get_plots"]["response"]["plots"][0]
    plot = payloads.plot_from_rpc(entry, NODE)
    assert (plot.id, plot.k, plot.v2, plot.file_size, plot.status) == (
        "275840a35754dd7b5355792611e5fdd7a3c93af47b46f868cdb231366edfc1b2", 18, False, 3889102, chia_pb2.VALID)
    v2 = payloads.plot_from_rpc(dict(entry, size=130, filename="/p/x.plot2"), NODE)
    assert v2.v2 and v2.k == 0
    assert payloads.plot_from_rpc({"filename": "/p/x.plot"}, NODE) is None
