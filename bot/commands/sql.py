"""/sql <select>: admins only; read-only, no ATTACH or PRAGMA, a time limit, a row limit."""
from __future__ import annotations

from bot.commands.base import Command, CommandContext, CommandError
from bot.reply import Reply, Section
from bot.transports.base import Incoming

ROW_LIMIT = 50
SECONDS = 2.0
CELL_WIDTH = 40


def sql_command(ctx: CommandContext, args: str, who: Incoming) -> Reply:
    if not args.strip():
        raise CommandError("usage: /sql SELECT ... (read-only; e.g. /sql SELECT machine, last_seen FROM machines)")
    try:
        columns, rows = ctx.reader.read_only_sql(args, row_limit=ROW_LIMIT + 1, seconds=SECONDS)
    except ValueError as exc:
        raise CommandError(f"sql: {str(exc).splitlines()[0] if str(exc) else 'refused'}") from None
    more = len(rows) > ROW_LIMIT
    rows = rows[:ROW_LIMIT]
    lines = [" | ".join(columns)] + [" | ".join(_cell(v) for v in row) for row in rows]
    note = f"first {ROW_LIMIT} rows" if more else f"{len(rows)} rows"
    return Reply(f"SQL ({note})", [Section(lines=lines, monospace=True)])


def _cell(value) -> str:
    text = "NULL" if value is None else str(value)
    return text if len(text) <= CELL_WIDTH else text[: CELL_WIDTH - 1] + "…"


COMMAND = Command("sql", "Read-only SQL on the farm database (admins)", sql_command, usage="<select>", argument="query", admin=True)
