"""Process plumbing shared by the long-running commands: logging from config, clean shutdown."""
from __future__ import annotations

import asyncio
import logging
import signal

from teafarm.config import Config, describe_source, load_config
from teafarm.logs import setup_logging


def setup_logging_from(config: Config) -> None:
    settings = config.logging
    setup_logging(settings.level, settings.file_level, config.log_file(), settings.max_bytes, settings.backups)
    logging.getLogger("teafarm").info("%s; data in %s", describe_source(config), config.data_dir)


async def wait_for_shutdown_signal() -> str:
    """Return the name of the first SIGTERM or SIGINT received (clean shutdown for every service)."""
    loop = asyncio.get_running_loop()
    received: asyncio.Future[str] = loop.create_future()
    for sig in (signal.SIGTERM, signal.SIGINT):
        try:
            loop.add_signal_handler(sig, lambda s=sig: received.done() or received.set_result(s.name))
        except (NotImplementedError, RuntimeError):  # Windows: Ctrl-C still raises KeyboardInterrupt
            pass
    try:
        return await received
    finally:
        for sig in (signal.SIGTERM, signal.SIGINT):
            try:
                loop.remove_signal_handler(sig)
            except (NotImplementedError, RuntimeError):
                pass


def run_service(args_config: str | None, make_app) -> int:
    """Load the config, set up logging, run `make_app(config)` (async start/stop) until SIGTERM/SIGINT."""
    config = load_config(args_config)
    setup_logging_from(config)

    async def serve() -> int:
        app = make_app(config)
        await app.start()
        try:
            await wait_for_shutdown_signal()
        finally:
            await app.stop()
        return 0

    return asyncio.run(serve())
