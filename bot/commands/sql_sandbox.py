"""The process that runs one /sql query, so an expensive query never runs inside the bot.

A query of one expression can take seconds and gigabytes (a recursive CTE, `zeroblob`, a huge
`group_concat`): inside the bot it would stall the command thread and grow the process that serves
gRPC. Here it runs in a fresh interpreter (`python -I -S` on this file: no teafarm imports, so it
starts in ~20 ms and never inherits the server's threads) with an address-space limit, sqlite's
progress handler for time, and a read-only connection whose authorizer allows reading only. The
parent (bot/commands/sql.py) sends one JSON request on stdin, reads one JSON answer from stdout,
and kills this process if the answer does not come in time.

Standard library only: this file runs as a script, outside the teafarm packages.
"""
from __future__ import annotations

import json
import sqlite3
import sys
import time
from pathlib import Path

CELL_LIMIT = 400    # characters of a cell sent back (longer ones end with "…"); the bot fits them to the width


def main() -> int:
    request = json.loads(sys.stdin.buffer.read())
    limit_memory(request["memory_bytes"])
    try:
        answer = run(request["database"], request["sql"], request["row_limit"], request["seconds"],
                     request["memory_bytes"])
    except MemoryError:   # a Python allocation (a row of a huge blob) hit the limit
        answer = {"limit": "memory"}
    sys.stdout.write(json.dumps(answer))
    return 0


def limit_memory(memory_bytes: int) -> None:
    """RLIMIT_AS: past it, malloc fails (sqlite answers SQLITE_NOMEM, Python MemoryError) instead of
    the machine swapping. Linux enforces it; elsewhere sqlite's own heap limit still holds."""
    try:
        import resource
    except ImportError:    # Windows
        return
    try:
        resource.setrlimit(resource.RLIMIT_AS, (memory_bytes, memory_bytes))
    except (ValueError, OSError):   # a hard limit below ours already: that one holds
        pass


def refusal(sql: str) -> str | None:
    """Why `sql` is not run at all (the parent asks before it starts a process), else None."""
    lowered = sql.lower()
    if not (lowered.startswith("select") or lowered.startswith("with")):
        return "only SELECT (or WITH ... SELECT) queries are allowed"
    if ";" in sql:
        return "one statement at a time"
    return None


def cleaned(sql: str) -> str:
    return sql.strip().rstrip(";").strip()


def run(database: str, sql: str, row_limit: int, seconds: float, memory_bytes: int) -> dict:
    """{"columns", "rows"} (rows as display text), or {"error"} / {"limit": "time" | "memory"}."""
    text = cleaned(sql)
    problem = refusal(text)
    if problem:
        return {"error": problem}
    conn = sqlite3.connect(Path(database).resolve().as_uri() + "?mode=ro", uri=True)
    try:
        conn.execute("PRAGMA query_only = ON")
        conn.execute("PRAGMA temp_store = MEMORY")      # sorts and CTE tables count against the memory limit, not /tmp
        conn.execute(f"PRAGMA hard_heap_limit = {int(memory_bytes * 3 // 4)}")   # sqlite's own share of it
        deadline = time.monotonic() + seconds
        conn.set_progress_handler(lambda: 1 if time.monotonic() > deadline else 0, 10_000)
        conn.set_authorizer(_read_only_authorizer)
        cursor = conn.execute(text)
        rows = [[_cell(v) for v in row] for row in cursor.fetchmany(row_limit)]
        return {"columns": [d[0] for d in cursor.description or []], "rows": rows}
    except sqlite3.Error as exc:
        message = str(exc)
        if "interrupted" in message:
            return {"limit": "time"}
        if "out of memory" in message:
            return {"limit": "memory"}
        return {"error": message.splitlines()[0] if message else "refused"}
    finally:
        conn.close()


_ALLOWED_ACTIONS = {sqlite3.SQLITE_SELECT, sqlite3.SQLITE_READ, sqlite3.SQLITE_FUNCTION, sqlite3.SQLITE_RECURSIVE}


def _read_only_authorizer(action: int, *args) -> int:
    return sqlite3.SQLITE_OK if action in _ALLOWED_ACTIONS else sqlite3.SQLITE_DENY


def _cell(value) -> str:
    if value is None:
        return "NULL"
    if isinstance(value, (bytes, str)):
        value = value[:CELL_LIMIT + 1]     # never the whole of a 200 MB blob as text
    text = str(value)
    return text if len(text) <= CELL_LIMIT else text[: CELL_LIMIT - 1] + "…"


if __name__ == "__main__":
    sys.exit(main())
