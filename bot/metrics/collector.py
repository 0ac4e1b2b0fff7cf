"""The prometheus_client collector: on each scrape, on the HTTP server's thread, it reads the
store and bot.db through its own read-only connections (opened at the first scrape, never the
command thread's), one read transaction each, so the figures of one scrape agree."""
from __future__ import annotations

import logging
import sqlite3
import threading
import time
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path

from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, Metric

from bot.metrics import alerts, chain, copying, hardware, harvesters, ingest, smart
from bot.metrics.sources import PlotGroups, Sources
from monitor.store.reader import StoreReader
from teafarm import __version__

log = logging.getLogger(__name__)

Part = Callable[[Sources], Iterable[Metric]]
PARTS: dict[str, Part] = {"ingest": ingest.collect, "hardware": hardware.collect, "smart": smart.collect,
                          "harvesters": harvesters.collect, "chain": chain.collect, "copying": copying.collect,
                          "alerts": alerts.collect}


class FarmCollector:
    def __init__(self, database: Path, botdb: Path) -> None:
        self.database = database
        self.botdb_path = botdb
        self._store: StoreReader | None = None
        self._botdb: sqlite3.Connection | None = None
        self._lock = threading.Lock()       # the HTTP server runs a thread per request: one scrape at a time
        self.partials = harvesters.PartialTotals()
        self.plots = PlotGroups()
        self.errors = 0

    def collect(self) -> Iterator[Metric]:
        with self._lock:
            started = time.perf_counter()
            try:
                families = self._read()
            except Exception:   # no database yet, or it went away: the next scrape opens it again
                self.errors += 1
                log.exception("metrics: cannot read the farm database")
                self._close()
                families = []
            duration = GaugeMetricFamily("teafarm_metrics_collect_duration_seconds",
                                         "How long reading the figures of this scrape took")
            duration.add_metric([], time.perf_counter() - started)
            errors = CounterMetricFamily("teafarm_metrics_errors", "Parts of a scrape that failed (see the bot's log)")
            errors.add_metric([], self.errors)
        info = GaugeMetricFamily("teafarm_build_info", "Always 1: the bot's teafarm version", labels=["version"])
        info.add_metric([__version__], 1)
        yield from (*families, duration, errors, info)

    def _read(self) -> list[Metric]:
        store, botdb = self._connections()
        store.conn.execute("BEGIN")
        botdb.execute("BEGIN")
        try:
            src = Sources(store, botdb, self.plots)
            parts = {**PARTS, "partials": self.partials.collect}
            families: list[Metric] = []
            for name, part in parts.items():
                try:
                    families += list(part(src))
                except Exception:   # one broken part must not blank the whole dashboard
                    self.errors += 1
                    log.exception("metrics: reading %s failed", name)
            return families
        finally:
            store.conn.execute("COMMIT")
            botdb.execute("COMMIT")

    def _connections(self) -> tuple[StoreReader, sqlite3.Connection]:
        if self._store is None:
            self._store = StoreReader(self.database)
        if self._botdb is None:
            conn = sqlite3.connect(f"file:{self.botdb_path}?mode=ro", uri=True, isolation_level=None,
                                   check_same_thread=False, timeout=10)
            conn.row_factory = sqlite3.Row
            self._botdb = conn
        return self._store, self._botdb

    def close(self) -> None:
        with self._lock:
            self._close()

    def _close(self) -> None:
        if self._store is not None:
            self._store.close()
        if self._botdb is not None:
            self._botdb.close()
        self._store = self._botdb = None
