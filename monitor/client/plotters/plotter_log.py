"""The shared shape of a plotter log reader: a list of (regex, handler) rules applied line by line
to the plot currently being made. Each plotter's module lists its own rules."""
from __future__ import annotations

import re
from collections.abc import Callable

from monitor.client.plotters.job import PlotJob

Handler = Callable[["PlotterLog", re.Match[str]], None]


class PlotterLog:
    plotter = ""
    markers: tuple[str, ...] = ()          # text in a log's first lines that says it is this plotter's
    rules: tuple[tuple[re.Pattern[str], Handler], ...] = ()

    def __init__(self, log_file: str) -> None:
        self.log_file = log_file
        self.job: PlotJob | None = None
        self.header_compression = 0          # from the settings a plotter prints before its plots
        self.header_k = 0

    def feed(self, line: str) -> None:
        for pattern, handler in self.rules:
            match = pattern.search(line)
            if match:
                try:
                    handler(self, match)
                except (ValueError, IndexError, OverflowError):
                    pass  # a line that looks right but holds nonsense (a phase 9) changes nothing
                return

    def new_plot(self) -> PlotJob:
        self.job = PlotJob(self.plotter, self.log_file, k=self.header_k, compression=self.header_compression)
        return self.job

    def current(self) -> PlotJob:
        """The plot being made (a log read from its middle gets one without a name)."""
        return self.job if self.job is not None and not self.job.finished else self.new_plot()

    def active_job(self) -> PlotJob | None:
        return self.job if self.job is not None and not self.job.finished else None


def rule(pattern: str, handler: Handler) -> tuple[re.Pattern[str], Handler]:
    return re.compile(pattern), handler
