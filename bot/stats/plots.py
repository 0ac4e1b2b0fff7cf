"""The files behind a harvester's problem plots (unreadable, foreign key, duplicate), for the alerts
and /plots: a few names and how many more, never a list of thousands."""
from __future__ import annotations

from monitor.store.reader import StoreReader

NAMES_SHOWN = 3


def problem_files(reader: StoreReader, machine: str, node: str, status: str, limit: int = NAMES_SHOWN) -> list[str]:
    """The first `limit` file names (in name order) of one harvester's plots with `status`."""
    return [row[0] for row in reader.query(
        "SELECT filename FROM plot WHERE machine = ? AND harvester_node_id = ? AND status = ? ORDER BY filename LIMIT ?",
        (machine, node, status, limit))]


def file_list(names: list[str], count: int) -> str:
    """'a, b, c and 4 more': the names given, out of `count` files."""
    shown = ", ".join(names[:NAMES_SHOWN])
    more = count - min(len(names), NAMES_SHOWN)
    if not shown:
        return f"{count:,} files"
    return f"{shown} and {more:,} more" if more > 0 else shown
