"""`teafarm chia ...`: a thin command group. `parse-log` replays chia logs through the parsers
the client uses, to check what teafarm sees in a log (and how fast)."""
from __future__ import annotations

import argparse
from pathlib import Path

# the parsers are imported by run_parse_log: `teafarm` builds every subcommand's parser at start


def add_commands(sub: argparse._SubParsersAction, common: argparse.ArgumentParser) -> None:
    chia = sub.add_parser("chia", help="chia tools")
    chia_sub = chia.add_subparsers(dest="chia_command", metavar="SUBCOMMAND")
    chia.set_defaults(func=lambda args: chia.print_help() or 2)
    parse_log = chia_sub.add_parser(
        "parse-log", parents=[common], help="replay chia debug.log files through teafarm's log parsers",
        description="Replay chia logs (plain or rotated, in any order: debug.log.7 .. debug.log are read "
                    "oldest first) and print what teafarm recognises.")
    parse_log.add_argument("files", nargs="+", metavar="FILE", type=Path)
    parse_log.add_argument("--json", action="store_true", help="one JSON object per recognised line")
    parse_log.add_argument("--summary", action="store_true",
                           help="counts per kind, proofs, blocks, signage points, lookup times (the default)")
    parse_log.set_defaults(func=run_parse_log)


def run_parse_log(args: argparse.Namespace) -> int:
    import gc
    import os
    import sys

    from monitor.client.chia.logs.replay import replay

    for path in args.files:
        if not path.exists():
            raise _error(f"chia parse-log: {path}: no such file")
        if not path.is_file():
            raise _error(f"chia parse-log: {path}: not a file")
    gc.disable()  # a short-lived replay makes ~1.5 events per kB and no cycles: collections are pure cost
    try:
        replay(args.files, sys.stdout, as_json=args.json, summary=args.summary or not args.json)
    except BrokenPipeError:  # `| head`: the reader has seen enough
        sys.stdout = open(os.devnull, "w")
    except OSError as exc:  # unreadable (permissions, I/O error)
        raise _error(f"chia parse-log: {exc.filename or ''}: {exc.strerror or exc}") from None
    return 0


def _error(message: str) -> Exception:
    from teafarm.typed_config import ConfigError   # only on a mistake: the config machinery takes ~30 ms to import

    return ConfigError(message)
