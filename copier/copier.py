"""The copier's loop, in order: find finished plots -> pick a target for each (never a folder that
overlaps a source) -> move each in its own thread -> record the outcome (retire a failing target,
retry the plot elsewhere) -> write the status; `--once` ends with a summary line.

Only this loop changes the bookkeeping; a move thread reports its progress in its job's status and
its outcome through a queue, so the loop needs no locks.
"""
from __future__ import annotations

import logging
import os
import queue
import threading
import time
import uuid
from dataclasses import dataclass
from pathlib import Path

from copier.errors import (CopyAborted, MoveError, NameTaken, PartialVanished, SameFile, SourceVanished,
                           TargetFault, TargetFull)
from copier.mover import MoveResult, Reporter, move_plot, settle_duplicate
from copier.open_files import writers_known
from copier.partials import partial_path, this_owner
from copier.plots import Plot, expand_folders, find_plots, finished_plots
from copier.progress import Progress
from copier.settings import CopierSettings
from copier.status import CopierStatus, JobStatus, StatusFormatError, read_status, write_status
from copier.stop import reason_of
from copier.summary import Tally
from copier.targets import Target, TargetPool
from copier.transfer import RateLimiter
from teafarm import units

log = logging.getLogger("copier")

HEARTBEAT = 30.0   # the status file is rewritten at least this often, so readers can tell a dead copier


@dataclass
class Job:
    status: JobStatus
    plot: Plot
    target: Target | None = None
    started: float = 0.0       # monotonic, when the current phase (copying, verifying) began
    existing: bool = False     # the target already has a file with this name: compare, then drop the source
    reserved_at: float = 0.0   # monotonic, when the target's filesystem took the plot's space (0: it did not)


class Copier:
    def __init__(self, settings: CopierSettings, status_path: Path, stop: threading.Event, progress: Progress) -> None:
        self.settings = settings
        self.status_path = status_path
        self.stop = stop
        self.progress = progress
        self.pool = TargetPool(settings.targets, settings.exclude_marker, settings.retired_probe_seconds)
        self.limiter = RateLimiter(settings.bandwidth_limit_mb * 1e6) if settings.bandwidth_limit_mb > 0 else None
        self.results: queue.Queue[tuple[Job, MoveResult | None, BaseException | None]] = queue.Queue()
        self.waiting: dict[Path, Job] = {}        # finished plots without a target yet, oldest first
        self.active: dict[Path, Job] = {}         # moves in flight, one thread each
        self.threads: list[threading.Thread] = []
        self.finished: list[JobStatus] = []       # done and failed jobs, oldest first
        self.backoff: dict[Path, float] = {}      # plots whose source failed: not again before this time
        self.avoid: dict[Path, set[Path]] = {}    # plot -> targets holding a different file of that name
        self.busy_plots = 0                       # plots seen still being written at the last scan
        self.unchanged_since: dict[Path, tuple[int, float, float]] = {}   # plot -> size, mtime, seen since
        self.last_size = 0                        # size of the last plot seen (what "full" means)
        self._rescan = True
        self._changed = True
        self._status_written = 0.0
        self._all_full_warned = False
        self._stop_logged = False
        self.tally = Tally()
        self.owner = this_owner()                 # written beside our partial files

    def run(self, once: bool = False) -> int:
        """Move plots until stopped (or, with `once`, until nothing more can be moved now).
        Returns 0, or 1 when `once` leaves plots behind."""
        self._load_history()
        if not writers_known():
            log.info("this platform cannot tell which files other processes are writing: a plot is taken "
                     "once it has not been modified for %.0f s", self.settings.stable_seconds)
        tick = 0.5 if self.progress.terminal else min(1.0, self.settings.status_interval)
        next_scan = 0.0
        while not self.stop.is_set():
            self.progress.clear()
            now = time.time()
            if self._rescan or now >= next_scan:
                self._rescan = False
                next_scan = now + self.settings.scan_interval
                sources = expand_folders(self.settings.sources, keep_missing=False)
                self.pool.refresh(now, sources, self._partials_in_flight())
                self._scan(now, sources)
            self._assign(now)
            self._report(now)
            if once and not self.active:
                break
            self._wait_for_results(tick)
        return self._shutdown(once)

    def _partials_in_flight(self) -> set[Path]:
        return {partial_path(job.target.folder, path.name) for path, job in self.active.items() if job.target}

    # ---- find plots ----

    def _scan(self, now: float, sources: list[Path]) -> None:
        plots = find_plots(sources)
        finished, busy = finished_plots(plots, now, self.settings.stable_seconds, self.unchanged_since)
        if len(busy) != self.busy_plots and busy:
            log.info("%d plot(s) still being written or modified in the last %.0f s: waiting for them",
                     len(busy), self.settings.stable_seconds)
        self.busy_plots = len(busy)
        ready = {p.path: p for p in finished}
        present = {p.path for p in plots}
        for path in [p for p in self.waiting if p not in ready or ready[p].size != self.waiting[p].plot.size]:
            if path not in present:
                log.info("%s: source vanished; skipped", path)
            del self.waiting[path]
            self._changed = True
        for memory in (self.backoff, self.avoid):
            for path in [p for p in memory if p not in present]:
                del memory[path]
        for plot in finished:
            if plot.path in self.active or plot.path in self.waiting or self.backoff.get(plot.path, 0) > now:
                continue
            self.waiting[plot.path] = Job(JobStatus(uuid.uuid4().hex[:12], plot.path.name, str(plot.path),
                                                    bytes_total=plot.size), plot)
            self.last_size = plot.size
            self._changed = True

    # ---- pick targets ----

    def _assign(self, now: float) -> None:
        self._update_reserved()
        per_target = self.settings.writers_per_target
        for path, job in list(self.waiting.items()):
            if len(self.active) >= self.settings.max_writers:
                break
            holder = self._existing_copy(job)
            if holder is not None:
                # check that copy (or wait for its target) rather than copying the plot a second time
                if holder.state == "available" and holder.writers < per_target:
                    job.existing = True
                    self._start(job, holder)
                continue
            target = self.pool.choose(path.name, job.plot.size, path.parent, per_target, self.avoid.get(path, set()))
            if target is not None:
                self._start(job, target)
        self._warn_when_all_full()

    def _existing_copy(self, job: Job) -> Target | None:
        """A target that already has a file of this plot's name (an interrupted earlier run, or not the
        same plot at all): the job compares the two in full before anything else happens."""
        avoid = self.avoid.setdefault(job.plot.path, set())
        return next((t for t in self.pool.holding(job.plot.path.name) if t.folder not in avoid), None)

    def _update_reserved(self) -> None:
        """Space copies in flight will still take from each target's free space as last probed: none
        once the filesystem holds the whole plot (fallocate) and the probe has seen that."""
        for target in self.pool.targets.values():
            target.reserved = 0
        for job in self.active.values():
            if job.target is None or job.existing:
                continue
            if job.reserved_at and job.target.probed > job.reserved_at:
                continue
            job.target.reserved += max(job.status.bytes_total - job.status.bytes_done, 0)

    def _warn_when_all_full(self) -> None:
        if not self.waiting:
            self._all_full_warned = False
            return
        smallest = min(job.plot.size for job in self.waiting.values())
        roomy = [t for t in self.pool.targets.values() if t.state == "available" and t.room >= smallest]
        if roomy:
            self._all_full_warned = False
        elif not self._all_full_warned:
            self._all_full_warned = True
            log.warning("no target has room (or all are retired or excluded): %d plot(s) waiting", len(self.waiting))

    # ---- move ----

    def _start(self, job: Job, target: Target) -> None:
        path = job.plot.path
        del self.waiting[path]
        self.active[path] = job
        job.target = target
        target.writers += 1
        if not job.existing:
            target.reserved += job.plot.size
        job.started = time.monotonic()
        job.status.state, job.status.target, job.status.started = "copying", str(target.folder), time.time()
        job.status.phase = "verifying" if job.existing else "copying"
        self._changed = True
        self.threads = [t for t in self.threads if t.is_alive()]
        thread = threading.Thread(target=self._work, args=(job,), name=f"move {path.name}", daemon=True)
        self.threads.append(thread)
        thread.start()

    def _work(self, job: Job) -> None:
        """Runs in the job's thread: the move itself, nothing else."""
        def progress(done: int) -> None:
            job.status.bytes_done = done
            elapsed = time.monotonic() - job.started
            if elapsed > 0:
                job.status.rate_bytes_per_s = done / elapsed

        def phase(name: str) -> None:
            job.status.phase, job.status.bytes_done, job.status.rate_bytes_per_s = name, 0, 0.0
            job.started = time.monotonic()

        def reserved() -> None:
            job.reserved_at = time.monotonic()

        reporter = Reporter(progress, phase, reserved, self.owner)
        try:
            if job.existing:
                result = settle_duplicate(job.plot.path, job.target.folder, stop=self.stop,
                                          limiter=self.limiter, reporter=reporter)
            else:
                result = move_plot(job.plot.path, job.plot.size, job.target.folder,
                                   verify_checksum=self.settings.verify_checksum, stop=self.stop,
                                   limiter=self.limiter, reporter=reporter)
            self.results.put((job, result, None))
        except BaseException as exc:   # MoveError, or a bug: the loop decides, the thread just reports
            self.results.put((job, None, exc))

    def _wait_for_results(self, timeout: float) -> None:
        try:
            item = self.results.get(timeout=timeout)
        except queue.Empty:
            return
        self.progress.clear()   # outcomes are logged: no bar in front of them
        while True:
            self._finish(*item)
            try:
                item = self.results.get_nowait()
            except queue.Empty:
                return

    def _finish(self, job: Job, result: MoveResult | None, error: BaseException | None) -> None:
        self._note_stop()
        path, target, status = job.plot.path, job.target, job.status
        self.active.pop(path, None)
        target.writers -= 1
        self._rescan = self._changed = True
        now = status.finished = time.time()
        status.phase = ""
        if error is None:
            status.state, status.bytes_done = "done", status.bytes_total
            self._log_done(job, result)
            self.tally.count(result.method)
        elif isinstance(error, SourceVanished):
            log.info("%s: source vanished; skipped", path)
            return   # nothing happened worth keeping
        elif isinstance(error, CopyAborted):
            status.state = "interrupted"
            status.error = f"interrupted ({reason_of(self.stop)}): the copy was abandoned, the source is intact"
            log.info("%s: %s", path.name, status.error)
            self.tally.count("interrupted")
        else:
            status.state, status.error = "failed", _one_line(error)
            log.warning("%s: move to %s failed: %s", path.name, target.folder, status.error)
            self.tally.count("failed")
            if isinstance(error, TargetFull):
                self.pool.mark_full(target, status.error, now)
            elif isinstance(error, TargetFault):
                self.pool.retire(target, status.error, now)
            elif isinstance(error, (NameTaken, SameFile)):   # DifferentFile too: both files stay
                self.avoid.setdefault(path, set()).add(target.folder)
            elif isinstance(error, PartialVanished):
                pass   # someone removed our partial file: the disk is fine, the plot goes again
            else:
                if not isinstance(error, MoveError):   # a bug, not a fault of the disks
                    log.error("unexpected error moving %s", path, exc_info=error)
                self.backoff[path] = now + self.settings.retired_probe_seconds
        self.finished.append(status)
        self._trim_finished(now)

    def _log_done(self, job: Job, result: MoveResult) -> None:
        name, folder = job.plot.path.name, job.target.folder
        job.status.rate_bytes_per_s = 0.0   # a rename or a check copies nothing
        if result.method == "rename":
            log.info("moved %s (%s) to %s: renamed, same filesystem", name, units.size(result.size), folder)
        elif result.method == "already there":
            log.info("%s was already complete at %s (an earlier run was interrupted): removed the source", name, folder)
        else:
            rate = result.size / result.seconds if result.seconds > 0 else 0.0
            job.status.rate_bytes_per_s = rate
            log.info("copied %s (%s) to %s in %s, %s", name, units.size(result.size), folder,
                     units.duration(result.seconds), units.rate(rate))
        if not result.source_removed:
            log.warning("%s: the source was removed or replaced during the move; left it alone", job.plot.path)

    def _trim_finished(self, now: float) -> None:
        horizon = now - self.settings.keep_finished_hours * 3600
        kept = [s for s in self.finished if s.finished >= horizon]
        self.finished = kept[-self.settings.keep_finished:] if self.settings.keep_finished > 0 else []

    # ---- report ----

    def _report(self, now: float) -> None:
        self.progress.show([job.status for job in self.active.values()], now)
        interval = self.settings.status_interval if (self._changed or self.active) else HEARTBEAT
        if now - self._status_written >= interval:
            self._write_status(now)

    def _write_status(self, now: float) -> None:
        needed = min((job.plot.size for job in self.waiting.values()), default=self.last_size)
        jobs = self.finished + [j.status for j in self.active.values()] + [j.status for j in self.waiting.values()]
        status = CopierStatus(written=now, pid=os.getpid(), interval=HEARTBEAT, jobs=list(jobs),
                              targets=self.pool.statuses(needed))
        try:
            write_status(self.status_path, status)
        except OSError as exc:
            log.warning("cannot write the status file %s (%s)", self.status_path, exc.strerror)
        self._status_written = now
        self._changed = False

    def _load_history(self) -> None:
        """Keep finished jobs of the last run; a copy that was in flight when it died (kill -9, power
        loss) is interrupted, like one abandoned at a SIGTERM: its source is intact and it is made
        again, so a restart raises no "copy failed"."""
        try:
            previous = read_status(self.status_path)
        except StatusFormatError as exc:
            log.warning("%s; starting a new one", exc)
            return
        if previous is None:
            return
        for job in previous.jobs:
            if job.state == "copying":
                job.state, job.finished = "interrupted", previous.written
                job.error = "interrupted: the copier stopped during this copy, the source is intact"
            if job.finished_state:
                self.finished.append(job)
        self._trim_finished(time.time())

    def _note_stop(self) -> None:
        """Log a stop once, as soon as the loop sees it (before the abandoned copies report back)."""
        if self.stop.is_set() and not self._stop_logged:
            self._stop_logged = True
            self.progress.clear()
            log.info("%s: stopping%s", reason_of(self.stop),
                     f"; abandoning {len(self.active)} copy(ies) in flight (their sources stay)" if self.active else "")

    def _shutdown(self, once: bool) -> int:
        self._note_stop()
        for thread in self.threads:
            thread.join()
        while not self.results.empty():
            self._finish(*self.results.get_nowait())
        self.progress.clear()
        self._write_status(time.time())
        now = time.time()
        left = len(self.waiting) + len([p for p, until in self.backoff.items() if until > now and p.exists()])
        if once:
            if left and not self.stop.is_set():
                log.warning("%d plot(s) left at the sources: no target with room, all targets retired, "
                            "or their moves failed", left)
            log.info("teafarm copy --once: %s", self.tally.summary(left))
        return 1 if once and left else 0


def _one_line(error: BaseException) -> str:
    text = str(error) or type(error).__name__
    return text.splitlines()[0]

