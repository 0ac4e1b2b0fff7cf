"""Show copies in progress: one redrawn line on a terminal, a log line now and then otherwise."""
from __future__ import annotations

import logging
import time
from typing import TextIO

from copier.status import JobStatus
from teafarm import units

log = logging.getLogger("copier")


class Progress:
    def __init__(self, terminal: TextIO | None, log_interval: float) -> None:
        self.terminal = terminal          # None: not a terminal, log instead
        self.log_interval = log_interval
        self._last_log = time.monotonic()
        self._drawn = False

    def show(self, copying: list[JobStatus], now: float) -> None:
        if self.terminal is not None:
            self._draw(copying, now)
        elif copying and time.monotonic() - self._last_log >= self.log_interval:
            self._last_log = time.monotonic()
            for job in copying:
                if job.phase == "verifying":
                    log.info("verifying %s at %s: %s", job.plot, job.target, describe(job, now))
                else:
                    log.info("copying %s to %s: %s", job.plot, job.target, describe(job, now))

    def clear(self) -> None:
        """Wipe the bar before a log line is printed (the terminal only)."""
        if self.terminal is not None and self._drawn:
            self.terminal.write("\r\033[K")
            self.terminal.flush()
            self._drawn = False

    def _draw(self, copying: list[JobStatus], now: float) -> None:
        if not copying:
            self.clear()
            return
        parts = [f"{_short(job.plot)} {_bar(job)} {describe(job, now)}" for job in copying]
        self.terminal.write("\r" + " | ".join(parts) + "\033[K")
        self.terminal.flush()
        self._drawn = True


def describe(job: JobStatus, now: float) -> str:
    """'45% of 101.4 GiB, 180.3 MB/s, ETA 5m10s'; 'verifying 45% of ...' while the job hashes."""
    percent = 100 * job.bytes_done / job.bytes_total if job.bytes_total else 100
    text = f"{percent:.0f}% of {units.size(job.bytes_total)}"
    if job.phase == "verifying":
        text = "verifying " + text
    if job.rate_bytes_per_s > 0:
        eta = (job.bytes_total - job.bytes_done) / job.rate_bytes_per_s
        text += f", {units.rate(job.rate_bytes_per_s)}, ETA {units.duration(eta)}"
    return text


def _bar(job: JobStatus, width: int = 20) -> str:
    filled = int(width * job.bytes_done / job.bytes_total) if job.bytes_total else width
    return "[" + "#" * filled + "." * (width - filled) + "]"


def _short(name: str) -> str:
    return name if len(name) <= 24 else name[:10] + ".." + name[-12:]
