"""One plot being made, as far as its plotter's log tells: id, k, compression, phase, progress,
and the seconds the log says have passed (plotter logs rarely carry clock times)."""
from __future__ import annotations

import re
from dataclasses import dataclass

from protocol import chia_pb2

# plot-k32-2021-10-05-20-38-<64 hex>, plot-k32-c07-2023-..., with .plot/.plot.tmp/.plot.2.tmp after it
PLOT_NAME = re.compile(r"plot-k(\d+)-(?:c(\d+)-)?[\d-]+-([0-9a-f]{64})")


@dataclass
class PlotJob:
    plotter: str
    log_file: str
    plot_id: str = ""
    k: int = 0
    compression: int = 0
    phase: str = "starting"
    progress: float = 0.0
    start_time: float = 0.0        # from the log's own clock times where it has them (chia's plotter)
    finished: bool = False
    _done_phases_seconds: float = 0.0
    _phase_step_seconds: float = 0.0

    @property
    def elapsed(self) -> float:
        """Seconds of plotting the log accounts for up to its last line."""
        return self._done_phases_seconds + self._phase_step_seconds

    def step(self, phase: str, progress: float, seconds: float = 0.0) -> None:
        """A step inside a phase (a table) finished."""
        self.phase = phase
        self.progress = max(self.progress, min(progress, 1.0))
        self._phase_step_seconds += seconds

    def phase_done(self, phase: str, progress: float, seconds: float) -> None:
        """A phase finished and the log says how long it took in total (replacing its steps)."""
        self.phase = phase
        self.progress = max(self.progress, min(progress, 1.0))
        self._done_phases_seconds += seconds
        self._phase_step_seconds = 0.0

    def name_plot(self, text: str) -> None:
        """Take k, compression and plot id from a plot file name in `text`, where there is one."""
        match = PLOT_NAME.search(text)
        if match:
            self.k = int(match[1])
            self.compression = int(match[2] or 0)
            self.plot_id = match[3]

    def message(self, last_write: float, now: float) -> chia_pb2.PlotterJob:
        """The protocol message; the start is the log's clock time, else the last write minus the
        seconds the log accounts for; the ETA extrapolates the progress so far."""
        start = self.start_time or (last_write - self.elapsed)
        eta = 0.0
        if 0 < self.progress < 1:
            eta = max(0.0, start + (last_write - start) / self.progress - now)
        return chia_pb2.PlotterJob(
            id=self.plot_id or self.log_file, plotter=self.plotter, plot_id=self.plot_id, k=self.k,
            compression=self.compression, phase=self.phase, progress=self.progress, start_time=start,
            eta_seconds=eta, log_file=self.log_file)
