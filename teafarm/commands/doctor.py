"""`teafarm doctor`: check this machine's setup (config, certificates, the server, chia, clock,
free space) and print a pass/fail table with the fix for each failure; exit 1 on any failure."""
from __future__ import annotations

import argparse

# the checks' imports (gRPC, cryptography, aiohttp) are inside run_doctor: `teafarm` builds every
# subcommand's parser at start


def add_commands(sub, common) -> None:
    doctor = sub.add_parser("doctor", parents=[common],
                            help="check this machine's setup and say how to fix what fails (exit 1 on a failure)")
    doctor.set_defaults(func=run_doctor)


def run_doctor(args: argparse.Namespace) -> int:
    from teafarm.doctor import run, table

    findings = run(args.config)
    print(table(findings), flush=True)
    return 1 if any(f.failed for f in findings) else 0
