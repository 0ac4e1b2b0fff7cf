"""Process plumbing shared by the long-running commands: files private to their owner, logging
from config, clean shutdown, and a stop with one line when a part cannot go on."""
from __future__ import annotations

import asyncio
import logging
import os
import signal
import stat
from collections.abc import Awaitable
from pathlib import Path

from teafarm.config import Config, describe_source, load_config
from teafarm.logs import setup_logging
from teafarm.typed_config import ConfigError

PRIVATE_UMASK = 0o077     # files 0600, folders 0700: the farm's layout and wallet figures are nobody else's


def start(config: Config, private_umask: bool = True) -> int:
    """What every long-running command does first, before it builds anything: the data folder
    and teafarm's files private to their owner (those already there are tightened, with one log
    line), then logging. Returns the umask the process had, for children that must not inherit ours.

    `private_umask`: every file this process creates is private, whoever creates it (sqlite's -wal
    and -shm, bot.db, certificates, state files). `teafarm copy` passes False: the plots it writes
    must stay readable by chia's harvester, which may run as another user.
    """
    previous = os.umask(PRIVATE_UMASK)
    if not private_umask:
        os.umask(previous)
    tightened = make_private(config)
    setup_logging_from(config)
    if tightened:
        logging.getLogger("teafarm").info("made %d existing file(s) readable by their owner only: %s",
                                          len(tightened), ", ".join(map(str, tightened)))
    return previous


def make_private(config: Config) -> list[Path]:
    """Create the data folder 0700; take the group's and others' access away from the folder and
    from teafarm's own files that are already there (older versions made them 0644). Returns them."""
    data = config.data_dir
    try:
        data.mkdir(mode=0o700, parents=True, exist_ok=True)
    except OSError as exc:
        where = f"{config.source}: " if config.source else ""
        raise ConfigError(f"{where}data_dir: cannot create {data} ({exc.strerror})") from None
    tightened = []
    for path in [data, *(data / sub for sub in ("logs", "certs", "client-state")), *_own_files(config)]:
        try:
            mode = path.stat().st_mode
            if mode & 0o077 and (stat.S_ISDIR(mode) or stat.S_ISREG(mode)):
                path.chmod(stat.S_IMODE(mode) & 0o700)
                tightened.append(path)
        except FileNotFoundError:
            continue
        except OSError as exc:       # not ours (another user's file): say so, do not stop
            logging.getLogger("teafarm").warning("cannot make %s private: %s", path, exc.strerror)
    return tightened


def _own_files(config: Config) -> list[Path]:
    """The files teafarm writes: databases with their WAL files, the outbox, the logs, the copier status."""
    database = config.server_settings().database
    files = []
    # bot.db lives beside the farm database (bot.app.botdb_path)
    for db in (database, database.with_name("bot.db"), config.client_settings().outbox):
        files += [db, db.with_name(db.name + "-wal"), db.with_name(db.name + "-shm"), db.with_name(db.name + "-journal")]
    log = config.log_file()
    files += [log, *(log.with_name(f"{log.name}.{n}") for n in range(1, config.logging.backups + 1))]
    return files + [config.copier_settings().status_file]


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


async def run_until_stopped(failure: Awaitable[str] | None = None) -> int:
    """Wait for SIGTERM or SIGINT (exit status 0), or for `failure`: a part that cannot go on returns
    one line saying why, which is logged as an error (exit status 1). The caller then stops its parts."""
    log = logging.getLogger("teafarm")
    signalled = asyncio.ensure_future(wait_for_shutdown_signal())
    failed = asyncio.ensure_future(failure) if failure is not None else None
    waits = {signalled} if failed is None else {signalled, failed}
    await asyncio.wait(waits, return_when=asyncio.FIRST_COMPLETED)
    for waiting in waits:
        waiting.cancel()
    await asyncio.gather(*waits, return_exceptions=True)   # the signal handlers are removed
    if failed is not None and failed.done() and not failed.cancelled():
        log.error("%s", failed.result())
        return 1
    log.info("%s: shutting down", signalled.result())
    return 0


def run_service(args_config: str | None, make_app) -> int:
    """Load the config, `start`, run `make_app(config)` (async start/stop) until SIGTERM/SIGINT, or
    until the app fails when it can (`failure()`: the server, whose database file may be lost)."""
    config = load_config(args_config)
    start(config)

    async def serve() -> int:
        app = make_app(config)
        await app.start()
        failure = getattr(app, "failure", None)
        try:
            return await run_until_stopped(failure() if failure is not None else None)
        finally:
            await app.stop()

    return asyncio.run(serve())
