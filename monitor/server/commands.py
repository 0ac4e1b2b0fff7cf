"""`teafarm server`: the backend without chat (database and ingest only)."""
from __future__ import annotations

import argparse
import asyncio

from monitor.server.app import ServerApp
from teafarm.config import load_config
from teafarm.runtime import setup_logging_from, wait_for_shutdown_signal


def add_commands(sub, common) -> None:
    server = sub.add_parser("server", parents=[common], help="run the monitoring backend without chat")
    server.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    config = load_config(args.config)
    setup_logging_from(config)
    return asyncio.run(_serve(config))


async def _serve(config) -> int:
    app = ServerApp(config)
    await app.start()
    try:
        await wait_for_shutdown_signal()
    finally:
        await app.stop()
    return 0
