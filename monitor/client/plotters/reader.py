"""Read one plotter log file as it grows: find out which plotter wrote it, feed its lines to that
plotter's rules, and tell the plot currently being made (None once it is finished)."""
from __future__ import annotations

from pathlib import Path

from monitor.client.follower import LogFollower
from monitor.client.plotters.bladebit import BladebitCudaLog, BladebitLog
from monitor.client.plotters.chia_plotter import ChiaPlotterLog
from monitor.client.plotters.job import PlotJob
from monitor.client.plotters.madmax import MadMaxLog
from monitor.client.plotters.plotter_log import PlotterLog

# the more specific markers first: a bladebit CUDA log also says "bladebit"
FORMATS: tuple[type[PlotterLog], ...] = (BladebitCudaLog, BladebitLog, MadMaxLog, ChiaPlotterLog)
MAX_BYTES_PER_UPDATE = 16 << 20


class PlotterLogReader:
    def __init__(self, path: Path) -> None:
        self.path = path
        self.follower = LogFollower(path, None, start_at_end=False)
        self.log: PlotterLog | None = None
        self._undetected: list[str] = []   # lines before the plotter is known
        self._generation = 0               # the follower's file: a new one is a new plotter run

    def update(self) -> None:
        """Read what was added since the last update (bounded per call)."""
        budget = MAX_BYTES_PER_UPDATE
        while budget > 0 and (data := self.follower.poll()):
            budget -= len(data)
            if self.follower.generation != self._generation:
                self._generation = self.follower.generation
                self.log, self._undetected = None, []
            for line in data.decode("utf-8", "replace").splitlines():
                self._feed(line.strip("\r"))

    def job(self) -> PlotJob | None:
        return self.log.active_job() if self.log else None

    def close(self) -> None:
        self.follower.close()

    def _feed(self, line: str) -> None:
        if self.log is None:
            self.log = self._detect(line)
            if self.log is None:
                if len(self._undetected) < 200:
                    self._undetected.append(line)
                return
            for earlier in self._undetected:
                self.log.feed(earlier)
            self._undetected = []
        self.log.feed(line)

    def _detect(self, line: str) -> PlotterLog | None:
        for fmt in FORMATS:
            if any(marker in line for marker in fmt.markers):
                return fmt(str(self.path))
        return None
