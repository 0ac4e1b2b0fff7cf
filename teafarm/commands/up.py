"""`teafarm up`: bot + client (+ copier when configured) on this machine (the work: teafarm/up.py)."""
from __future__ import annotations

import argparse


def add_commands(sub, common) -> None:
    up = sub.add_parser("up", parents=[common], help="run bot + client (+ copier when configured) on this machine")
    up.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from teafarm.up import run_up   # here, not at the top: `teafarm` builds every subcommand's parser

    return run_up(args.config)
