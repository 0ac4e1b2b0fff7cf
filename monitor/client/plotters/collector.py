"""Plots being made on this machine, from the plotters' log files (glob patterns from the config).

A finished plot leaves the list; so does a log that has not grown for `stale_after` seconds (a
plotter that crashed or was killed never writes "finished").
"""
from __future__ import annotations

import asyncio
import glob
import os
import time
from collections.abc import Callable
from pathlib import Path

from monitor.client.collector import Collector
from monitor.client.plotters.reader import PlotterLogReader
from protocol import chia_pb2, events_pb2


class PlotterCollector(Collector):
    name = "plotters"
    topics = ("plotter_jobs",)

    def __init__(self, patterns: list[str], stale_after: float = 21600.0,
                 clock: Callable[[], float] = time.time) -> None:
        super().__init__()
        self.patterns = patterns
        self.stale_after = stale_after
        self.clock = clock
        self._readers: dict[Path, PlotterLogReader] = {}

    def log_files(self) -> list[Path]:
        found: set[Path] = set()
        for pattern in self.patterns:
            found.update(Path(p) for p in glob.glob(os.path.expanduser(pattern), recursive=True))
        return sorted(p for p in found if p.is_file())

    async def collect(self, snapshot: events_pb2.ComputerInfo) -> None:
        # file reading off the event loop: a long MadMax log read for the first time takes a while
        snapshot.plotter_jobs.extend(await asyncio.to_thread(self._jobs, self.clock()))

    def _jobs(self, now: float) -> list[chia_pb2.PlotterJob]:
        files = self.log_files()
        for gone in set(self._readers) - set(files):
            self._readers.pop(gone).close()
        jobs = []
        for path in files:
            try:
                last_write = path.stat().st_mtime
            except OSError:
                continue
            if now - last_write > self.stale_after:
                continue
            reader = self._readers.get(path)
            if reader is None:
                reader = self._readers[path] = PlotterLogReader(path)
            reader.update()
            job = reader.job()
            if job is not None:
                jobs.append(job.message(last_write, now))
        return jobs

    async def stop(self) -> None:
        for reader in self._readers.values():
            reader.close()
        self._readers.clear()
