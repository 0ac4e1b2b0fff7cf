"""`teafarm server`: the backend without chat (database and ingest only)."""
from __future__ import annotations


def add_commands(sub, common) -> None:
    server = sub.add_parser("server", parents=[common], help="run the monitoring backend without chat")
    server.set_defaults(func=run)


def run(args) -> int:
    from teafarm.apps import server_app   # here, not at the top: `teafarm` builds every subcommand's parser
    from teafarm.runtime import run_service

    return run_service(args.config, server_app)
