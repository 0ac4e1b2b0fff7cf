"""`teafarm client`: runs headless on every machine of the farm."""
from __future__ import annotations

import argparse
import asyncio

from monitor.client.app import ClientApp
from teafarm.config import load_config
from teafarm.runtime import setup_logging_from, wait_for_shutdown_signal


def add_commands(sub, common) -> None:
    client = sub.add_parser("client", parents=[common], help="collect this machine's state and send it to the server")
    client.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    config = load_config(args.config)
    setup_logging_from(config)
    return asyncio.run(_run(config))


async def _run(config) -> int:
    app = ClientApp(config)
    await app.start()
    try:
        await wait_for_shutdown_signal()
    finally:
        await app.stop()
    return 0
