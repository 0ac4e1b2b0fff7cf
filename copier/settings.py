"""Settings of `teafarm copy` (config section `copy`). Each field's constraints sit beside it
(teafarm/typed_config.py runs them: `teafarm config check` and every start)."""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from teafarm.typed_config import ConfigError, check_fields, count, file_path, seconds, setting


def _plain_name(name: str) -> str | None:
    if not name or "/" in name or "\\" in name or name in (".", ".."):
        return f"must be a plain file name, got {name!r}"
    return None


@dataclass
class CopierSettings:
    sources: list[str] = setting(factory=list)   # folders (or glob patterns) where plotters put finished plots
    targets: list[str] = setting(factory=list)   # farm folders or glob patterns (re-read while running)
    writers_per_target: int = setting(1, check=count(1, 64))  # parallel copies into one target folder (HDDs hate parallel writes)
    max_writers: int = setting(4, check=count(1, 256))        # parallel copies in total
    bandwidth_limit_mb: float = setting(0.0, check=count(0))  # MB/s for all copies together (reading back to verify included); 0 = no limit
    verify_checksum: bool = False      # also hash the source and the copy read back from the target disk
                                       # (a file of the plot's name already at a target is always compared in full)
    stable_seconds: float = setting(60.0, check=seconds(zero=True))  # a plot is taken only after it was not modified for this long
    scan_interval: float = setting(10.0, check=seconds())     # seconds between scans of the sources and targets
    retired_probe_seconds: float = setting(300.0, check=seconds())  # a full or failed target is tried again after this long
    exclude_marker: str = setting(".teafarm-no-copy", check=_plain_name)  # a file with this name in a target folder excludes it
    status_file: Path = setting(Path(""), check=file_path)    # "" -> <data_dir>/copier-status.json (read by `teafarm client`)
    status_interval: float = setting(2.0, check=seconds())    # seconds between status file writes while copying
    keep_finished: int = setting(50, check=count(0))          # finished and failed jobs kept in the status file ...
    keep_finished_hours: float = setting(24.0, check=count(0, 24 * 365))  # ... for at most this long
    progress_log_interval: float = setting(60.0, check=seconds())  # seconds between progress log lines when not on a terminal


def check_settings(settings: CopierSettings) -> None:
    """User mistakes in the `copy` section, one line each: the field constraints (which every start
    checks already) and what `teafarm copy` itself needs, folders to copy from and to."""
    if not settings.sources:
        raise ConfigError("copy.sources: no source folders (set copy.sources or pass --source)")
    if not settings.targets:
        raise ConfigError("copy.targets: no target folders (set copy.targets or pass --target)")
    check_fields(settings, "copy")
