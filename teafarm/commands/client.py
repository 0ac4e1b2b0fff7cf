"""`teafarm client`: runs headless on every machine of the farm."""
from __future__ import annotations


def add_commands(sub, common) -> None:
    client = sub.add_parser("client", parents=[common], help="collect this machine's state and send it to the server")
    client.set_defaults(func=run)


def run(args) -> int:
    from teafarm.apps import client_app   # here, not at the top: `teafarm` builds every subcommand's parser
    from teafarm.runtime import run_service

    return run_service(args.config, client_app)
