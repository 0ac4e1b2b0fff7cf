"""Evidence that a farm database with history existed: a small file beside it, `<database>.history`.

A database deleted or replaced while the server was stopped (or a wrong `server.database`, a new
disk) would otherwise start over in silence: the alerts and statistics lose their past and nobody
is told. The store writes this file once its database holds events; a start on a new, empty
database beside such a file says in one line that the history was lost.
"""
from __future__ import annotations

import json
import os
import time
from pathlib import Path


def marker_path(database: Path) -> Path:
    return database.with_name(database.name + ".history")


def record(database: Path, last_seq: int) -> None:
    """Note that `database` holds events up to `last_seq` (written whole: a temporary file renamed over)."""
    marker = marker_path(database)
    partial = marker.with_name(marker.name + ".partial")
    text = json.dumps({"database": str(database), "events_up_to": last_seq, "time": time.time()})
    with open(partial, "w", encoding="utf-8", opener=lambda path, flags: os.open(path, flags, 0o600)) as file:
        file.write(text + "\n")
    os.replace(partial, marker)


def lost_history(database: Path) -> str | None:
    """For a new, empty `database`: one line saying that the history was lost, when a database with
    events was there before; None when nothing says so."""
    try:
        before = json.loads(marker_path(database).read_text(encoding="utf-8"))
        events, when = int(before["events_up_to"]), float(before["time"])
    except (OSError, ValueError, KeyError, TypeError):
        return None   # no marker (a first start), or one this version cannot read: nothing to say
    return (f"the farm database {database} is new and empty, but one with events (up to #{events}, "
            f"as of {time.strftime('%Y-%m-%d %H:%M', time.localtime(when))}) was there before: its "
            f"history is lost; the clients send their current state again")
