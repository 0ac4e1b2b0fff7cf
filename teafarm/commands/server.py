"""`teafarm server`: the backend without chat (database and ingest only)."""
from __future__ import annotations

from teafarm.apps import server_app
from teafarm.runtime import run_service


def add_commands(sub, common) -> None:
    server = sub.add_parser("server", parents=[common], help="run the monitoring backend without chat")
    server.set_defaults(func=run)


def run(args) -> int:
    return run_service(args.config, server_app)
