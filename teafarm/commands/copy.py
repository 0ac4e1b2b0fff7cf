"""`teafarm copy`: the command-line glue around the copier (config, logging, signals, one instance)."""
from __future__ import annotations

import argparse

# the copier's imports are inside run_copy: `teafarm` builds every subcommand's parser at start


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
    import logging
    import signal
    import sys
    from dataclasses import replace

    from copier.copier import Copier
    from copier.layout import check_layout
    from copier.lock import AlreadyRunning, SingleInstance
    from copier.progress import Progress
    from copier.settings import check_settings
    from copier.stop import StopRequest
    from teafarm.config import load_config
    from teafarm.runtime import start
    from teafarm.typed_config import ConfigError

    log = logging.getLogger("copier")
    config = load_config(args.config)
    settings = replace(config.copier_settings(), sources=args.source or config.copy.sources,
                       targets=args.target or config.copy.targets)
    check_settings(settings)
    status_path = settings.status_file
    try:
        with SingleInstance(status_path.with_name(status_path.name + ".lock")):
            # after the lock ("another copier runs here" says more), before any log line (a mistake is one line)
            warnings = check_layout(settings, args.once)
            start(config, private_umask=False)   # its plots must stay readable by chia
            stop = StopRequest()
            for name in ("SIGINT", "SIGTERM"):
                signal.signal(getattr(signal, name), lambda number, frame, name=name: stop.request(f"received {name}"))
            progress = Progress(sys.stderr if sys.stderr.isatty() else None, settings.progress_log_interval)
            log.info("teafarm copy: %s -> %s (status in %s)", ", ".join(settings.sources),
                     ", ".join(settings.targets), status_path)
            for warning in warnings:
                log.warning("copy: %s", warning)
            return Copier(settings, status_path, stop, progress).run(once=args.once)
    except AlreadyRunning as exc:
        raise ConfigError(str(exc)) from None
