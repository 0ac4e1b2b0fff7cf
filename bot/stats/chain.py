"""Chia chain arithmetic: the plot filter by network and height, and expected time to win."""
from __future__ import annotations

# (height from which it applies, filter bits); chia's plot filter halves at these heights
MAINNET_FILTER = ((0, 9), (5_496_000, 8), (10_542_000, 7), (15_592_000, 6), (20_643_000, 5))
# testnet11: hard fork from genesis, later steps at other heights (chia's consensus constants)
TESTNET_FILTER = ((0, 8), (6_029_568, 7), (11_075_328, 6), (16_121_088, 5))
BLOCKS_PER_DAY = 4608          # 32 blocks per 600 s sub-slot ... 4608 a day on average
SECONDS_PER_BLOCK = 86400 / BLOCKS_PER_DAY


def plot_filter(network: str, height: int) -> int:
    """The denominator of the plot filter (256 means 1 plot in 256 passes per signage point)."""
    steps = TESTNET_FILTER if network.startswith("testnet") else MAINNET_FILTER
    bits = steps[0][1]
    for start, step_bits in steps:
        if height >= start:
            bits = step_bits
    return 2 ** bits


def expected_eligible(total_plots: int, network: str, height: int) -> float:
    return total_plots / plot_filter(network, height)


def expected_time_to_win(farm_effective_bytes: float, netspace_bytes: float) -> float | None:
    """Seconds until the farm can expect a block: netspace / farm space x the average block time."""
    if farm_effective_bytes <= 0 or netspace_bytes <= 0:
        return None
    return netspace_bytes / farm_effective_bytes * SECONDS_PER_BLOCK
