"""`teafarm chia ...`: a thin command group. `parse-log` replays chia logs through the parsers
the client uses, to check what teafarm sees in a log (and how fast)."""
from __future__ import annotations

import argparse
import gc
import json
import multiprocessing
import os
import sys
from concurrent.futures import ProcessPoolExecutor
from datetime import datetime
from pathlib import Path

from monitor.client.chia.logs.parser import ChiaLogParser
from monitor.client.chia.logs.replay import count_lines, read_blocks, rotation_order, summarize_file
from monitor.client.chia.logs.summary import LogSummary
from teafarm.typed_config import ConfigError


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
    for path in args.files:
        if not path.exists():
            raise ConfigError(f"chia parse-log: {path}: no such file")
        if not path.is_file():
            raise ConfigError(f"chia parse-log: {path}: not a file")
    gc.disable()  # a short-lived replay makes ~1.5 events per kB and no cycles: collections are pure cost
    try:
        _replay(args)
    except BrokenPipeError:  # `| head`: the reader has seen enough
        sys.stdout = open(os.devnull, "w")
    except OSError as exc:  # unreadable (permissions, I/O error)
        raise ConfigError(f"chia parse-log: {exc.filename or ''}: {exc.strerror or exc}") from None
    return 0


def _replay(args: argparse.Namespace) -> None:
    paths = rotation_order(list(args.files))
    if args.json:
        summary = _print_events(paths)
    else:
        summary = LogSummary()
        for later in _summaries(paths):
            summary.merge(later)
    if args.summary or not args.json:
        sys.stdout.write(summary.render() + "\n")


def _print_events(paths: list[Path]) -> LogSummary:
    """One JSON object per recognised line, in order; the summary comes along."""
    parser = ChiaLogParser()
    summary = LogSummary()
    out = sys.stdout
    for path in paths:
        for block in read_blocks(path):
            summary.lines += count_lines(block)
            for event in parser.parse(block):
                summary.add(event)
                out.write(json.dumps({"time": datetime.fromtimestamp(event.time).isoformat(timespec="milliseconds"),
                                      "service": event.service, "kind": event.kind, **event.fields()}) + "\n")
    summary.near_misses = parser.near_misses
    return summary


def _summaries(paths: list[Path]) -> list[LogSummary]:
    """Each file's summary, in the files' order; files are independent, so on a machine with
    several cores they are read in parallel (forked workers: Linux and macOS)."""
    workers = min(len(paths), os.cpu_count() or 1)
    if workers < 2 or "fork" not in multiprocessing.get_all_start_methods():
        return [summarize_file(path) for path in paths]
    with ProcessPoolExecutor(workers, mp_context=multiprocessing.get_context("fork")) as pool:
        return list(pool.map(summarize_file, paths))
