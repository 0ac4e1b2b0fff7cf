"""Copy jobs and targets from the status file that `teafarm copy` writes (topics copy_job, copy_target).

No file: no copier runs here, the topics stay empty. A file the copier stopped rewriting (it died or
was stopped): its finished jobs still count, a copy it had in flight is reported as failed, and its
targets are no longer reported (nobody watches them).
"""
from __future__ import annotations

import logging
import time
from pathlib import Path

from copier.status import CopierStatus, JobStatus, StatusFormatError, TargetStatus, read_status
from monitor.client.collector import Collector
from protocol import copier_pb2, events_pb2

log = logging.getLogger(__name__)

JOB_STATES = {"queued": copier_pb2.QUEUED, "copying": copier_pb2.COPYING,
              "done": copier_pb2.DONE, "failed": copier_pb2.FAILED, "interrupted": copier_pb2.INTERRUPTED}
TARGET_STATES = {"available": copier_pb2.AVAILABLE, "full": copier_pb2.FULL,
                 "retired": copier_pb2.RETIRED, "excluded": copier_pb2.EXCLUDED}
GRACE = 10.0   # seconds beyond three missed rewrites before the copier counts as stopped


class CopierStatusCollector(Collector):
    name = "copier"

    def __init__(self, status_path: Path) -> None:
        super().__init__()
        self.status_path = Path(status_path)
        self._last_problem = ""

    async def collect(self, snapshot: events_pb2.ComputerInfo) -> None:
        status = self._read()
        if status is None:
            return
        if _stopped(status, time.time()):
            jobs = [_as_stopped(job, status.written) for job in status.jobs if job.state != "queued"]
            targets: list[TargetStatus] = []
        else:
            jobs, targets = status.jobs, status.targets
        snapshot.copy_jobs.extend(_job_message(job) for job in jobs)
        snapshot.copy_targets.extend(_target_message(target) for target in targets)

    def _read(self) -> CopierStatus | None:
        try:
            status = read_status(self.status_path)
        except StatusFormatError as exc:
            if str(exc) != self._last_problem:   # say it once, not every snapshot
                log.warning("%s", exc)
                self._last_problem = str(exc)
            return None
        self._last_problem = ""
        return status


def _stopped(status: CopierStatus, now: float) -> bool:
    return status.interval > 0 and now - status.written > 3 * status.interval + GRACE


def _as_stopped(job: JobStatus, written: float) -> JobStatus:
    if job.state != "copying":
        return job
    when = time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(written))
    return JobStatus(job.id, job.plot, job.source, job.target, "failed", job.bytes_total, job.bytes_done,
                     0.0, job.started, written, f"copier stopped during this copy (no status since {when})")


def _job_message(job: JobStatus) -> copier_pb2.CopyJob:
    return copier_pb2.CopyJob(
        id=job.id, plot=job.plot, source=job.source, target=job.target,
        state=JOB_STATES.get(job.state, copier_pb2.COPY_STATE_UNKNOWN),
        bytes_total=max(job.bytes_total, 0), bytes_done=max(job.bytes_done, 0),
        rate_bytes_per_s=job.rate_bytes_per_s, started=job.started, finished=job.finished, error=job.error)


def _target_message(target: TargetStatus) -> copier_pb2.CopyTarget:
    return copier_pb2.CopyTarget(
        id=target.folder, free_bytes=max(target.free_bytes, 0), reserved_bytes=max(target.reserved_bytes, 0),
        state=TARGET_STATES.get(target.state, copier_pb2.TARGET_STATE_UNKNOWN),
        writers=max(target.writers, 0), error=target.error)
