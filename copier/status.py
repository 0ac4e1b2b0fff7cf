"""The copier's status file: a small versioned JSON document, written by `teafarm copy` and read by
`teafarm client` (the only thing the two share).

    {"format": "teafarm-copier-status", "version": 1, "written": <unix time>, "pid": <copier pid>,
     "interval": <seconds between writes at most>,
     "jobs":    [{"id", "plot", "source", "target", "state", "bytes_total", "bytes_done",
                  "rate_bytes_per_s", "started", "finished", "error", "phase"}, ...],
     "targets": [{"folder", "state", "free_bytes", "reserved_bytes", "writers", "error"}, ...]}

Job states: queued, copying (phase "copying" or "verifying": hashing), done, failed, interrupted (the
copier was stopped during the copy; the source is intact). Target states: available, full, retired,
excluded. A reader ignores keys it does not know (a newer copier may add some) and refuses a newer
version; a state it does not know is shown as unknown.
"""
from __future__ import annotations

import json
import os
import tempfile
from dataclasses import asdict, dataclass, field, fields
from pathlib import Path

FORMAT = "teafarm-copier-status"
VERSION = 1
JOB_STATES = ("queued", "copying", "done", "failed", "interrupted")
TARGET_STATES = ("available", "full", "retired", "excluded")


class StatusFormatError(Exception):
    """The status file exists but cannot be understood; the message is one line naming the file."""


@dataclass
class JobStatus:
    id: str
    plot: str                    # file name
    source: str                  # full path at the source
    target: str = ""             # target folder ("" while queued)
    state: str = "queued"
    bytes_total: int = 0
    bytes_done: int = 0
    rate_bytes_per_s: float = 0.0
    started: float = 0.0
    finished: float = 0.0
    error: str = ""
    phase: str = ""              # while copying: "copying" or "verifying"

    @property
    def finished_state(self) -> bool:
        return self.state in ("done", "failed", "interrupted")


@dataclass
class TargetStatus:
    folder: str
    state: str = "available"
    free_bytes: int = 0
    reserved_bytes: int = 0      # what copies in flight will still write there
    writers: int = 0
    error: str = ""


@dataclass
class CopierStatus:
    written: float = 0.0
    pid: int = 0
    interval: float = 0.0        # the copier rewrites the file at least this often while running
    jobs: list[JobStatus] = field(default_factory=list)
    targets: list[TargetStatus] = field(default_factory=list)


def write_status(path: Path, status: CopierStatus) -> None:
    """Replace the file atomically (temp file + rename), so a reader never sees half a document."""
    document = {"format": FORMAT, "version": VERSION, **asdict(status)}
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, temp = tempfile.mkstemp(prefix=path.name + ".", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as out:
            json.dump(document, out, separators=(",", ":"))
        os.replace(temp, path)
    except BaseException:
        _remove_quietly(temp)
        raise


def read_status(path: Path) -> CopierStatus | None:
    """The status in `path`; None when there is no file (no copier ran here)."""
    try:
        text = Path(path).read_text(encoding="utf-8")
    except FileNotFoundError:
        return None
    except (OSError, UnicodeDecodeError) as exc:
        raise StatusFormatError(f"{path}: cannot read the copier status ({exc})") from None
    try:
        document = json.loads(text)
    except json.JSONDecodeError as exc:
        raise StatusFormatError(f"{path}: copier status is not valid JSON ({exc.msg} at line {exc.lineno})") from None
    if not isinstance(document, dict) or document.get("format") != FORMAT:
        raise StatusFormatError(f"{path}: not a teafarm copier status file")
    version = document.get("version")
    if not isinstance(version, int) or version < 1:
        raise StatusFormatError(f"{path}: copier status has no valid version ({version!r})")
    if version > VERSION:
        raise StatusFormatError(f"{path}: copier status version {version} is newer than this teafarm reads "
                                f"({VERSION}); update teafarm on this machine")
    try:
        return CopierStatus(
            written=float(document.get("written", 0.0)),
            pid=int(document.get("pid", 0)),
            interval=float(document.get("interval", 0.0)),
            jobs=[_record(JobStatus, item) for item in document.get("jobs", [])],
            targets=[_record(TargetStatus, item) for item in document.get("targets", [])],
        )
    except (TypeError, ValueError) as exc:
        raise StatusFormatError(f"{path}: copier status has a malformed entry ({exc})") from None


def _record(cls: type, item: object):
    """A dataclass from a mapping: unknown keys ignored, known ones converted to the field's type."""
    if not isinstance(item, dict):
        raise TypeError(f"expected an object, got {type(item).__name__}")
    kinds = {"str": str, "int": int, "float": float}
    values = {}
    for spec in fields(cls):
        if spec.name in item:
            values[spec.name] = kinds[spec.type](item[spec.name])
    return cls(**values)


def _remove_quietly(path: str) -> None:
    try:
        os.unlink(path)
    except OSError:
        pass
