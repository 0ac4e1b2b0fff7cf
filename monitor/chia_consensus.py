"""Chia's plot filter by network and height, for the client (expected eligible plots per signage
point) and the bot (what /farm and /node show): one schedule, so the two never disagree.

Copied from chia-blockchain 2.7.5: `calculate_prefix_bits` (chia/types/blockchain_format/proof_of_space.py)
starts from NUMBER_ZERO_BITS_PLOT_FILTER_V1 and drops one bit from HARD_FORK_HEIGHT, two from
PLOT_FILTER_128_HEIGHT, three from PLOT_FILTER_64_HEIGHT, four from PLOT_FILTER_32_HEIGHT; the heights
are chia/consensus/default_constants.py's, overridden per network in chia/util/initial-config.yaml
(network_overrides). v2 plots follow another filter from a second hard fork that 2.7.5 has not scheduled.
"""
from __future__ import annotations

_FILTER_BITS = 9                                    # NUMBER_ZERO_BITS_PLOT_FILTER_V1

# HARD_FORK_HEIGHT, PLOT_FILTER_128_HEIGHT, PLOT_FILTER_64_HEIGHT, PLOT_FILTER_32_HEIGHT
_MAINNET = (5_496_000, 10_542_000, 15_592_000, 20_643_000)
_FILTER_HEIGHTS = {
    "mainnet": _MAINNET,
    "testnet0": _MAINNET,                            # no filter overrides: chia's defaults
    "testnet11": (0, 6_029_568, 11_075_328, 16_121_088),
    "testneta": (3_693_395, *_MAINNET[1:]),
}


def plot_filter(network: str, height: int | None) -> int | None:
    """The plot filter at `height` as N in "1 plot in N passes a signage point's filter" (512, 256, ...).
    None when we cannot know: no height yet, or a network chia ships no constants for (the simulator
    runs with chia's test constants)."""
    heights = _FILTER_HEIGHTS.get(network)
    if heights is None or height is None:
        return None
    # as chia's if/elif chain: the last of the heights reached says how many bits are dropped
    dropped = max((n for n, start in enumerate(heights, 1) if height >= start), default=0)
    return 1 << (_FILTER_BITS - dropped)
