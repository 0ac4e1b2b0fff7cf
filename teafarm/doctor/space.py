"""Free space where teafarm writes: the farm database (on the bot machine) and the client's outbox,
which holds everything while the server is out of reach. sqlite needs room for its WAL and
checkpoints besides the database itself; a full disk stops the store, and the outbox then grows."""
from __future__ import annotations

import shutil
from pathlib import Path

from teafarm import units
from teafarm.config import Config
from teafarm.doctor import Finding, fail, ok

LEAST_FREE = 1 << 30          # bytes: below 1 GiB the next big sync or a day offline may not fit


def check(config: Config) -> list[Finding]:
    database = config.server_settings().database
    places = [("space: outbox", config.client_settings().outbox, "client.outbox")]
    if database.is_file():                       # the bot machine
        places.insert(0, ("space: database", database, "server.database"))
    return [_free(name, path, key) for name, path, key in places]


def _free(name: str, path: Path, key: str) -> Finding:
    folder = next(p for p in (path.parent, *path.parents) if p.exists())   # not created yet: where it will be
    free = shutil.disk_usage(folder).free
    if free < LEAST_FREE:
        return fail(name, f"{units.size(free)} free at {folder} (at least {units.size(LEAST_FREE)} needed)",
                    f"free space on that disk, or move data_dir (or {key}) to a disk with room")
    return ok(name, f"{units.size(free)} free at {folder}")
