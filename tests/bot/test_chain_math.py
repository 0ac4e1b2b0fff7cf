"""Plot filter by network and height (never a hard-coded 256), expected time to win."""
from __future__ import annotations

import pytest

from bot.stats.chain import expected_eligible, expected_time_to_win, plot_filter


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
