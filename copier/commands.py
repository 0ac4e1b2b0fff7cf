"""`teafarm copy`: the CLI glue around the copier (config, logging, signals, one instance)."""
from __future__ import annotations

import argparse
import glob
import logging
import os
import signal
import sys
import threading
from dataclasses import replace

from copier.copier import Copier
from copier.lock import AlreadyRunning, SingleInstance
from copier.progress import Progress
from copier.settings import CopierSettings
from teafarm.config import load_config
from teafarm.runtime import setup_logging_from
from teafarm.typed_config import ConfigError

log = logging.getLogger("copier")


def add_commands(sub, common) -> None:
    copy = sub.add_parser("copy", parents=[common], help="move finished plots from plotter folders to farm disks")
    copy.add_argument("--once", action="store_true",
                      help="move the plots that are finished now, then exit (status 1 if some had nowhere to go)")
    copy.add_argument("--source", action="append", metavar="FOLDER",
                      help="source folder or glob pattern, instead of copy.sources (repeat for several)")
    copy.add_argument("--target", action="append", metavar="FOLDER",
                      help="target folder or glob pattern, instead of copy.targets (repeat for several)")
    copy.set_defaults(func=run_copy)


def run_copy(args: argparse.Namespace) -> int:
    config = load_config(args.config)
    settings = replace(config.copy, sources=args.source or config.copy.sources,
                       targets=args.target or config.copy.targets)
    check_settings(settings)
    status_path = config.data_path(settings.status_file, "copier-status.json")
    setup_logging_from(config)
    stop = threading.Event()
    for name in ("SIGINT", "SIGTERM"):
        signal.signal(getattr(signal, name), lambda *_: stop.set())
    progress = Progress(sys.stderr if sys.stderr.isatty() else None, settings.progress_log_interval)
    try:
        with SingleInstance(status_path.with_name(status_path.name + ".lock")):
            log.info("teafarm copy: %s -> %s (status in %s)", ", ".join(settings.sources),
                     ", ".join(settings.targets), status_path)
            warn_missing_sources(settings.sources)
            return Copier(settings, status_path, stop, progress).run(once=args.once)
    except AlreadyRunning as exc:
        raise ConfigError(str(exc)) from None


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


def warn_missing_sources(patterns: list[str]) -> None:
    for pattern in patterns:
        if not glob.has_magic(pattern) and not os.path.isdir(os.path.expanduser(pattern)):
            log.warning("source %s does not exist (yet): waiting for it", pattern)
