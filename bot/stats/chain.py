"""Chia chain arithmetic the bot shows: expected eligible plots per signage point and expected time
to win (the plot filter itself is monitor.chia_consensus's, the schedule the client uses too)."""
from __future__ import annotations

from monitor.chia_consensus import plot_filter

BLOCKS_PER_DAY = 4608          # 32 blocks per 600 s sub-slot ... 4608 a day on average
SECONDS_PER_BLOCK = 86400 / BLOCKS_PER_DAY


def expected_eligible(total_plots: int, network: str, height: int) -> float | None:
    """Plots expected to pass the filter per signage point; None on a network we have no filter for."""
    denominator = plot_filter(network, height)
    return total_plots / denominator if denominator else None


def expected_time_to_win(farm_effective_bytes: float, netspace_bytes: float) -> float | None:
    """Seconds until the farm can expect a block: netspace / farm space x the average block time."""
    if farm_effective_bytes <= 0 or netspace_bytes <= 0:
        return None
    return netspace_bytes / farm_effective_bytes * SECONDS_PER_BLOCK
