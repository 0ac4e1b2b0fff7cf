"""Plot filter by network and height (never a hard-coded 256), expected time to win."""
from __future__ import annotations

import pytest

from bot.stats.chain import expected_eligible, expected_time_to_win
from monitor.chia_consensus import plot_filter


@pytest.mark.parametrize("network, height, denominator", [
    ("mainnet", 5_000_000, 512), ("mainnet", 5_496_000, 256), ("mainnet", 10_541_999, 256),
    ("mainnet", 10_542_000, 128), ("mainnet", 15_592_000, 64), ("mainnet", 20_643_000, 32),
    ("testnet11", 1_000, 256), ("testnet11", 16_200_000, 32),
])
def test_plot_filter(network, height, denominator):
    assert plot_filter(network, height) == denominator


def test_expected_eligible_and_time_to_win():
    assert expected_eligible(100_000, "mainnet", 6_000_000) == pytest.approx(390.625)
    # a farm of 1/4608 of the netspace expects one block a day
    assert expected_time_to_win(1.0, 4608.0) == pytest.approx(86400.0)
    assert expected_time_to_win(0.0, 1e18) is None


# chia-blockchain 2.7.5: NUMBER_ZERO_BITS_PLOT_FILTER_V1 and the heights HARD_FORK_HEIGHT,
# PLOT_FILTER_128_HEIGHT, PLOT_FILTER_64_HEIGHT, PLOT_FILTER_32_HEIGHT from chia/consensus/default_constants.py,
# overridden per network in chia/util/initial-config.yaml (network_overrides: constants)
CHIA_FILTER_BITS = 9
CHIA_FILTER_HEIGHTS = {
    "mainnet": (5_496_000, 10_542_000, 15_592_000, 20_643_000),
    "testnet0": (5_496_000, 10_542_000, 15_592_000, 20_643_000),
    "testnet11": (0, 6_029_568, 11_075_328, 16_121_088),
    "testneta": (3_693_395, 10_542_000, 15_592_000, 20_643_000),
}


def chia_prefix_bits(network: str, height: int) -> int:
    """calculate_prefix_bits of chia/types/blockchain_format/proof_of_space.py (v1 plots), as chia writes it."""
    hard_fork, filter_128, filter_64, filter_32 = CHIA_FILTER_HEIGHTS[network]
    bits = CHIA_FILTER_BITS
    if height >= filter_32:
        bits -= 4
    elif height >= filter_64:
        bits -= 3
    elif height >= filter_128:
        bits -= 2
    elif height >= hard_fork:
        bits -= 1
    return max(0, bits)


def test_plot_filter_follows_chia_constants():
    for network, heights in CHIA_FILTER_HEIGHTS.items():
        for height in sorted({0, 1, *heights, *(h - 1 for h in heights if h), 30_000_000}):
            assert plot_filter(network, height) == 2 ** chia_prefix_bits(network, height), (network, height)
    assert plot_filter("simulator0", 100) is None     # chia's test constants: nothing to go by
    assert plot_filter("mainnet", None) is None
