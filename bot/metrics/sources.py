"""What one scrape reads: the store and bot.db, each in one read transaction, and the plot rows
grouped (hardware wants them per disk, harvesters per k and compression)."""
from __future__ import annotations

import sqlite3
from dataclasses import dataclass
from functools import cached_property

from bot.stats.harvesters import machines_of
from monitor.store.reader import StoreReader


@dataclass
class PlotGroup:
    machine: str
    node_id: str
    disk: str
    k: int
    compression: int
    status: str
    plots: int
    size: int


class PlotGroups:
    """The plot rows counted per machine, harvester, disk, k, compression and status: one pass over
    up to 100k rows (~0.2 s), a few thousand groups out, so it is redone only when a plot changed
    (every change appends to plot_events: its last sequence number says)."""

    def __init__(self) -> None:
        self.seq: int | None = None
        self.groups: list[PlotGroup] = []

    def read(self, store: StoreReader) -> list[PlotGroup]:
        seq = store.query("SELECT max(seq) FROM plot_events")[0][0] or 0
        if seq != self.seq:
            self.groups = [PlotGroup(r[0], r[1] or "", r[2] or "", r[3] or 0, r[4] or 0, r[5] or "", r[6], int(r[7]))
                           for r in store.query("SELECT machine, harvester_node_id, disk, k, compression, status, "
                                                "count(*), total(file_size) FROM plot GROUP BY 1, 2, 3, 4, 5, 6")]
            self.seq = seq
        return self.groups


class Sources:
    def __init__(self, store: StoreReader, botdb: sqlite3.Connection, plots: PlotGroups) -> None:
        self.store = store
        self.botdb = botdb
        self._plots = plots

    def query(self, sql: str, params: tuple = ()) -> list[sqlite3.Row]:
        return self.store.query(sql, params)

    @cached_property
    def home(self) -> dict[str, str]:
        """node id -> the machine whose client reports that harvester (read once per scrape)."""
        return machines_of(self.store)

    @cached_property
    def plot_groups(self) -> list[PlotGroup]:
        return self._plots.read(self.store)
