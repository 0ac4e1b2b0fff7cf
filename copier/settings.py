"""Settings of `teafarm copy` (config section `copy`)."""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from teafarm.typed_config import ConfigError


@dataclass
class CopierSettings:
    sources: list[str] = field(default_factory=list)   # folders (or glob patterns) where plotters put finished plots
    targets: list[str] = field(default_factory=list)   # farm folders or glob patterns (re-read while running)
    writers_per_target: int = 1        # parallel copies into one target folder (HDDs hate parallel writes)
    max_writers: int = 4               # parallel copies in total
    bandwidth_limit_mb: float = 0.0    # MB/s for all copies together (reading back to verify included); 0 = no limit
    verify_checksum: bool = False      # also hash the source and the copy read back from the target disk
                                       # (a file of the plot's name already at a target is always compared in full)
    stable_seconds: float = 60.0       # a plot is taken only after it was not modified for this long
    scan_interval: float = 10.0        # seconds between scans of the sources and targets
    retired_probe_seconds: float = 300.0  # a full or failed target is tried again after this long
    exclude_marker: str = ".teafarm-no-copy"  # a file with this name in a target folder excludes it
    status_file: Path = Path("")       # "" -> <data_dir>/copier-status.json (read by `teafarm client`)
    status_interval: float = 2.0       # seconds between status file writes while copying
    keep_finished: int = 50            # finished and failed jobs kept in the status file ...
    keep_finished_hours: float = 24.0  # ... for at most this long
    progress_log_interval: float = 60.0  # seconds between progress log lines when not on a terminal


def check_settings(settings: CopierSettings) -> None:
    """User mistakes in the `copy` section, one line each."""
    if not settings.sources:
        raise ConfigError("copy.sources: no source folders (set copy.sources or pass --source)")
    if not settings.targets:
        raise ConfigError("copy.targets: no target folders (set copy.targets or pass --target)")
    for key in ("writers_per_target", "max_writers"):
        if getattr(settings, key) < 1:
            raise ConfigError(f"copy.{key}: must be at least 1, got {getattr(settings, key)}")
    for key in ("keep_finished", "bandwidth_limit_mb", "stable_seconds", "keep_finished_hours"):
        if getattr(settings, key) < 0:
            raise ConfigError(f"copy.{key}: must not be negative, got {getattr(settings, key)}")
    for key in ("scan_interval", "retired_probe_seconds", "status_interval", "progress_log_interval"):
        if getattr(settings, key) <= 0:
            raise ConfigError(f"copy.{key}: must be more than 0 seconds, got {getattr(settings, key)}")
    if not settings.exclude_marker or "/" in settings.exclude_marker:
        raise ConfigError(f"copy.exclude_marker: must be a plain file name, got {settings.exclude_marker!r}")
