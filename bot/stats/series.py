"""Figures over time for charts: farming per harvester in steps (from the running totals of
bot.stats.rollup), proofs and partials per step (fact tables, by time), disk usage per machine.

A farming window is cut exactly as /missed cuts it (5-minute slots, bot.stats.farming), and its
steps share their boundaries, so a harvester's steps add up to the number /missed prints.
"""
from __future__ import annotations

import math
import sqlite3
from dataclasses import dataclass

from bot.stats.harvesters import harvester_label, machines_of
from bot.stats.rollup import SLOT, catch_up, node_totals_upto
from monitor.store.reader import StoreReader

# step lengths (seconds) a chart may use: the shortest giving at most MAX_POINTS points (each step
# costs one look-up per harvester: 16 keep a 1,000-harvester chart well under a second)
STEPS = (300, 900, 1800, 3600, 2 * 3600, 3 * 3600, 6 * 3600, 12 * 3600, 86400, 2 * 86400, 7 * 86400)
MAX_POINTS = 16


def step_for(seconds: float) -> int:
    return next((s for s in STEPS if seconds / s <= MAX_POINTS), STEPS[-1])


@dataclass
class FarmingSteps:
    columns: tuple[str, ...]                            # the farming totals it holds (bot.stats.rollup.COUNTS)
    ends: list[float]                                   # end time of each step
    per_harvester: dict[str, list[tuple[int, ...]]]     # label -> the columns' totals in each step
    window: dict[str, tuple[int, ...]]                  # label -> the columns' totals in the whole window


def farming_steps(reader: StoreReader, botdb: sqlite3.Connection, start: float, end: float,
                  columns: tuple[str, ...]) -> FarmingSteps:
    """Each harvester's farming totals (`columns`, "buckets" first) per step of [start, end], by its
    label (machine + short node id); harvesters without a bucket in the window are left out."""
    catch_up(reader, botdb, chunks=1)
    first = math.floor(start / SLOT + 0.5)              # the slots /missed uses (bot.stats.farming.window_totals)
    last = math.floor(end / SLOT)
    step = max(1, step_for(end - start) // SLOT)
    count = max(1, math.ceil((last - first + 1) / step))
    bounds = [first - 1] + [last - (count - k) * step for k in range(1, count)] + [last]
    cumulative = [node_totals_upto(botdb, b, columns) for b in bounds]
    home = machines_of(reader)
    farmer_of = {node: machine for machine, node in botdb.execute("SELECT machine, harvester FROM farming_keys")}
    zero = (0,) * len(columns)
    per_harvester: dict[str, list[tuple[int, ...]]] = {}
    window: dict[str, tuple[int, ...]] = {}
    for node, at_end in cumulative[-1].items():
        whole = _minus(at_end, cumulative[0].get(node, zero))
        if whole[0] > 0:
            label = harvester_label(home.get(node, farmer_of.get(node, "")), node)
            per_harvester[label] = [_minus(cumulative[k + 1].get(node, zero), cumulative[k].get(node, zero)) for k in range(count)]
            window[label] = whole
    return FarmingSteps(columns, [(b + 1) * SLOT for b in bounds[1:]], per_harvester, window)


def _minus(after: tuple[int, ...], before: tuple[int, ...]) -> tuple[int, ...]:
    return tuple(a - b for a, b in zip(after, before))


def fact_counts(reader: StoreReader, table: str, ends: list[float], step: float, where: str = "1") -> list[int]:
    """Events of a fact table per step ending at each of `ends` (the table's time index does the cut)."""
    start = ends[0] - step
    counts = [0] * len(ends)
    for row in reader.query(f"SELECT CAST((time - ?) / ? AS INTEGER) AS i, count(*) AS n FROM {table} "
                            f"WHERE time >= ? AND time < ? AND {where} GROUP BY 1", (start, step, start, ends[-1])):
        if 0 <= row["i"] < len(ends):
            counts[row["i"]] += row["n"]
    return counts


def disk_usage(reader: StoreReader) -> dict[str, tuple[int, int]]:
    """machine -> (used, total) bytes over its disks."""
    return {r["machine"]: (int(r["used"]), int(r["total"])) for r in reader.query(
        "SELECT machine, total(used_bytes) AS used, total(total_bytes) AS total FROM disk GROUP BY machine")}
