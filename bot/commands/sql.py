"""/sql <select>: admins only; read-only, no ATTACH or PRAGMA, a time limit, a memory limit, a row limit.

The query runs in a process of its own (bot/commands/sql_sandbox.py), never in the bot: one
expression can take seconds and gigabytes. That process has 256 MiB of address space and 2 s of
query time (sqlite's progress handler); this side kills it when its answer is late, which also
covers the work the progress handler does not see (one long call of a function like instr()).
"""
from __future__ import annotations

import json
import subprocess
import sys
import unicodedata
from pathlib import Path

from bot.commands import format as fmt, sql_sandbox
from bot.commands.base import Command, CommandContext, CommandError
from bot.reply import Reply, Section
from bot.transports.base import Incoming

ROW_LIMIT = 50
LINE_WIDTH = 120       # characters of a table row that chats show without wrapping (Discord, Telegram desktop)
CELL_MIN = 40          # long cells are never cut shorter than this
SECONDS = 2.0
MEMORY_MIB = 256
START_GRACE = 0.5      # seconds for the sandbox to start and answer, on top of the query's own time
SANDBOX = [sys.executable, "-I", "-S", str(Path(sql_sandbox.__file__).resolve())]   # no site, no teafarm: ~20 ms


def sql_command(ctx: CommandContext, args: str, who: Incoming) -> Reply:
    if not args.strip():
        raise CommandError("usage: /sql SELECT ... (read-only; e.g. /sql SELECT machine, last_seen FROM machines)")
    columns, rows = run_query(ctx.reader.path, args, ROW_LIMIT + 1)
    more = len(rows) > ROW_LIMIT
    rows = rows[:ROW_LIMIT]
    table = [[_one_line(cell) for cell in row] for row in [columns, *rows]]
    cut = fitted_width(table)
    lines = [" | ".join(_cut(cell, cut) for cell in row) for row in table]
    note = f"first {ROW_LIMIT} rows" if more else fmt.count(len(rows), "row")
    return Reply(f"SQL ({note})", [Section(lines=lines, monospace=True)])


def fitted_width(rows: list[list[str]], width: int = LINE_WIDTH) -> int:
    """The most columns a cell may take so that rows fit in `width` columns: long cells are cut only
    as far as needed, and never below CELL_MIN (a row wider than that wraps in the chat instead)."""
    longest = [max(_width(row[i]) for row in rows) for i in range(len(rows[0]))] if rows and rows[0] else []
    cap = max(longest, default=0)
    while cap > CELL_MIN and sum(min(n, cap) for n in longest) + 3 * (len(longest) - 1) > width:
        cap -= 1
    return cap


def _width(text: str) -> int:
    """Columns `text` takes in a monospace chat font: CJK and emoji two, combining marks and
    zero-width characters (the joiners of family emoji) none; a count of characters would let a row
    of Chinese names run twice as wide as the line."""
    return sum(_char_width(c) for c in text)


def _char_width(char: str) -> int:
    if unicodedata.combining(char) or unicodedata.category(char) in ("Mn", "Me", "Cf"):
        return 0
    return 2 if unicodedata.east_asian_width(char) in "WF" else 1


def _cut(cell: str, width: int) -> str:
    """`cell` within `width` columns, "…" marking a cut."""
    if _width(cell) <= width:
        return cell
    used = 0
    for index, char in enumerate(cell):
        used += _char_width(char)
        if used > width - 1:
            return cell[:index] + "…"
    return cell


def _one_line(cell: str) -> str:
    """A cell's line breaks and tabs would break the table's rows apart."""
    return cell.replace("\r\n", "\u21b5").replace("\n", "\u21b5").replace("\r", "\u21b5").replace("\t", " ")


def run_query(database: Path, sql: str, row_limit: int, seconds: float = SECONDS,
              memory_mib: int = MEMORY_MIB, command: list[str] | None = None) -> tuple[list[str], list[list[str]]]:
    """(columns, rows as display text) of `sql` on `database`, run in the sandbox process; a refusal
    or a limit hit is a CommandError naming it. `command`: the sandbox to start (tests)."""
    problem = sql_sandbox.refusal(sql_sandbox.cleaned(sql))
    if problem:      # no process for what is refused anyway
        raise CommandError(f"sql: {problem}")
    request = json.dumps({"database": str(database), "sql": sql, "row_limit": row_limit, "seconds": seconds,
                          "memory_bytes": memory_mib * 1024 * 1024}).encode()
    process = subprocess.Popen(command or SANDBOX, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                               stderr=subprocess.PIPE)
    try:
        out, err = process.communicate(request, timeout=seconds + START_GRACE)
    except subprocess.TimeoutExpired:
        process.kill()
        process.communicate()
        answer = {"limit": "time"}
    else:
        try:
            answer = json.loads(out) if process.returncode == 0 else _failed(process.returncode, err)
        except ValueError:
            answer = _failed(process.returncode, err)
    if answer.get("limit") == "time":
        raise CommandError(f"sql: query took longer than {seconds:g} s and was stopped")
    if answer.get("limit") == "memory":
        raise CommandError(f"sql: query needed more than {memory_mib} MiB of memory and was stopped")
    if "error" in answer:
        raise CommandError(f"sql: {answer['error']}")
    return answer["columns"], answer["rows"]


def _failed(returncode: int, err: bytes) -> dict:
    """The sandbox ended without an answer: out of memory somewhere Python could not catch it, or
    a crash (its last stderr line says which)."""
    last = (err.decode(errors="replace").strip().splitlines() or [""])[-1]
    if "MemoryError" in last or "memory" in last.lower():
        return {"limit": "memory"}
    return {"error": f"the query process failed (exit status {returncode}{': ' + last[:200] if last else ''})"}


COMMAND = Command("sql", "Read-only SQL on the farm database (admins)", sql_command, usage="<select>", argument="query", admin=True)
