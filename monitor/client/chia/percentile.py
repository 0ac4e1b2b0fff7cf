"""The one percentile of the client's statistics (farming buckets, parse-log's summary): nearest rank.
A module of its own so that parse-log's summary does not import the protocol to get it."""
from __future__ import annotations

import math


def percentile(sorted_values: list[float], fraction: float) -> float:
    """Nearest-rank percentile of an already sorted list (0.0 for an empty one)."""
    if not sorted_values:
        return 0.0
    rank = max(1, math.ceil(fraction * len(sorted_values)))
    return sorted_values[rank - 1]
