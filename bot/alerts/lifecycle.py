"""The alert lifecycle: the one owner of the `alerts` table, so the states an alert goes through
(and the conditions that find it) are written once.

An alert per (alert name, machine, key) is: pending (waiting for its debounce or a grace period;
forgotten silently if the problem goes away first), then firing (announced once, reminded with
backoff), then gone (forgotten; the engine sends one "recovered" message). The engine decides
when each step happens (grace, quiet hours, mutes); this module records it. Every change runs
inside the caller's transaction, with the outbox rows it goes with.
"""
from __future__ import annotations

import sqlite3
from dataclasses import astuple, dataclass, fields, replace

from bot.alerts.rules.base import Finding
from bot.alerts.settings import AlertSettings

PENDING = "pending"
FIRING = "firing"

SCHEMA = """
CREATE TABLE IF NOT EXISTS alerts (
    rule TEXT NOT NULL, machine TEXT NOT NULL, key TEXT NOT NULL,
    status TEXT NOT NULL,                 -- pending (waiting for debounce or grace) or firing
    severity TEXT NOT NULL, title TEXT NOT NULL, detail TEXT NOT NULL,
    harvester TEXT NOT NULL DEFAULT '', harvester_id TEXT NOT NULL DEFAULT '',
    since REAL NOT NULL, due REAL NOT NULL, announced INTEGER NOT NULL DEFAULT 0,
    reminders INTEGER NOT NULL DEFAULT 0, next_reminder REAL,
    outbox_id INTEGER,                    -- its announcement, rewritten with the latest detail until sent
    id INTEGER,                           -- from alert_ids: what its buttons name
    acknowledged_by TEXT NOT NULL DEFAULT '', acknowledged_at REAL,
    happened REAL,                        -- its event's own time (a client's backlog comes late), NULL: since
    PRIMARY KEY (rule, machine, key));
CREATE TABLE IF NOT EXISTS alert_ids (   -- every alert ever opened: a button under an old message still knows
    id INTEGER PRIMARY KEY AUTOINCREMENT, -- what it was about (never reused: no press reaches a newer alert)
    rule TEXT NOT NULL, machine TEXT NOT NULL, key TEXT NOT NULL,
    harvester TEXT NOT NULL, harvester_id TEXT NOT NULL, title TEXT NOT NULL)
"""
# columns added since the first release, for bot.db files made before them (forward only)
_ADDED = {"id": "INTEGER", "acknowledged_by": "TEXT NOT NULL DEFAULT ''", "acknowledged_at": "REAL", "happened": "REAL"}


@dataclass(frozen=True)
class Alert:
    rule: str
    machine: str
    key: str
    status: str                   # PENDING or FIRING
    severity: str
    title: str
    detail: str
    harvester: str                # label of the harvester concerned ("" when none)
    harvester_id: str
    since: float                  # when the problem began
    due: float                    # when a pending alert's debounce or grace ends
    announced: bool               # False while a mute holds its announcement back
    reminders: int
    next_reminder: float | None
    outbox_id: int | None         # its announcement, rewritten with the latest detail until sent
    id: int | None = None         # what its buttons name (alert_ids)
    acknowledged_by: str = ""     # who pressed Acknowledge: no more reminders until it recovers
    acknowledged_at: float | None = None
    happened: float | None = None  # its event's own time, when the engine learned of it later than that


@dataclass(frozen=True)
class AlertRef:
    """What an alert id names, also once the alert is gone (a mute pressed after the recovery)."""
    id: int
    rule: str
    machine: str
    key: str
    harvester: str
    harvester_id: str
    title: str


_NAMES = [f.name for f in fields(Alert)]
_COLUMNS = ", ".join(_NAMES)
_ONE = "rule = ? AND machine = ? AND key = ?"


def _ident(alert: Alert) -> tuple[str, str, str]:
    return alert.rule, alert.machine, alert.key


def _select(conn: sqlite3.Connection, where: str, args: tuple = ()) -> list[Alert]:
    alerts = []
    for row in conn.execute(f"SELECT {_COLUMNS} FROM alerts {where}", args).fetchall():
        values = dict(zip(_NAMES, row))
        alerts.append(Alert(**{**values, "announced": bool(values["announced"])}))
    return alerts


def migrate(conn: sqlite3.Connection) -> None:
    """Bring an older alerts table up to date (call inside the caller's transaction, after SCHEMA)."""
    present = {row[1] for row in conn.execute("PRAGMA table_info(alerts)")}
    for column, declaration in _ADDED.items():
        if column not in present:
            conn.execute(f"ALTER TABLE alerts ADD COLUMN {column} {declaration}")
    for alert in _select(conn, "WHERE id IS NULL"):       # open before ids existed: give them one now
        conn.execute(f"UPDATE alerts SET id = ? WHERE {_ONE}", (_new_id(conn, alert), *_ident(alert)))


def _new_id(conn: sqlite3.Connection, alert: Alert | Finding) -> int:
    return conn.execute("INSERT INTO alert_ids (rule, machine, key, harvester, harvester_id, title) "
                        "VALUES (?, ?, ?, ?, ?, ?)", (alert.rule, alert.machine, alert.key, alert.harvester,
                                                      alert.harvester_id, alert.title)).lastrowid


# -- reading ---------------------------------------------------------------------------------------
def by_id(conn: sqlite3.Connection, alert_id: int) -> Alert | None:
    """The open alert with this id (None once it recovered)."""
    found = _select(conn, "WHERE id = ?", (alert_id,))
    return found[0] if found else None


def ref(conn: sqlite3.Connection, alert_id: int) -> AlertRef | None:
    row = conn.execute("SELECT id, rule, machine, key, harvester, harvester_id, title FROM alert_ids WHERE id = ?",
                       (alert_id,)).fetchone()
    return AlertRef(*row) if row else None


def find(conn: sqlite3.Connection, rule: str, machine: str, key: str) -> Alert | None:
    found = _select(conn, f"WHERE {_ONE}", (rule, machine, key))
    return found[0] if found else None


def is_pending(conn: sqlite3.Connection, alert: Alert) -> bool:
    """Is it still pending (read again: an alert of the same cause may have taken it along)?"""
    current = find(conn, *_ident(alert))
    return current is not None and current.status == PENDING


def open_alerts(conn: sqlite3.Connection, status: str | None = None) -> list[Alert]:
    """What is wrong now (gone alerts are forgotten), oldest problem first; only those of
    `status` if given. For the daily summary, /farm and /alerts."""
    where, args = ("WHERE status = ? ", (status,)) if status else ("", ())
    return _select(conn, where + "ORDER BY since", args)


def due_pending(conn: sqlite3.Connection, now: float) -> list[Alert]:
    """Pending alerts whose debounce or grace is over."""
    return _select(conn, "WHERE status = ? AND due <= ?", (PENDING, now))


def due_reminders(conn: sqlite3.Connection, now: float) -> list[Alert]:
    """Firing alerts due for a reminder (or, held back by a mute, for another look); acknowledged
    ones are reminded no more."""
    return _select(conn, "WHERE status = ? AND next_reminder <= ? AND acknowledged_at IS NULL", (FIRING, now))


def same_cause(conn: sqlite3.Connection, alert: Alert, window: float) -> list[Alert]:
    """Pending alerts of its machine whose problems began within `window` seconds of its own."""
    return _select(conn, "WHERE status = ? AND machine = ? AND since BETWEEN ? AND ?",
                   (PENDING, alert.machine, alert.since - window, alert.since + window))


# -- the states ------------------------------------------------------------------------------------
def begin(conn: sqlite3.Connection, f: Finding, severity: str, now: float, due: float) -> Alert:
    """A new problem: pending until `due`."""
    alert = Alert(f.rule, f.machine, f.key, PENDING, severity, f.title, f.detail, f.harvester, f.harvester_id,
                  since=now, due=due, announced=False, reminders=0, next_reminder=None, outbox_id=None,
                  id=_new_id(conn, f), happened=f.at or None)
    conn.execute(f"INSERT INTO alerts ({_COLUMNS}) VALUES ({', '.join('?' * len(_NAMES))})", astuple(alert))
    return alert


def update_detail(conn: sqlite3.Connection, alert: Alert, detail: str) -> Alert:
    """The problem changed (more plots lost): keep the latest detail."""
    conn.execute(f"UPDATE alerts SET detail = ? WHERE {_ONE}", (detail, *_ident(alert)))
    return replace(alert, detail=detail)


def fire(conn: sqlite3.Connection, alert: Alert, now: float, outbox_id: int | None, settings: AlertSettings) -> None:
    """Firing, announced by outbox row `outbox_id`; None: a mute holds the announcement back."""
    announced = outbox_id is not None
    # a muted alert is re-checked every sweep (next_reminder = now) so /unmute announces it at once
    next_reminder = now + settings.reminder_first if announced else now
    conn.execute(f"UPDATE alerts SET status = ?, announced = ?, next_reminder = ?, outbox_id = ? WHERE {_ONE}",
                 (FIRING, int(announced), next_reminder, outbox_id, *_ident(alert)))


def remind(conn: sqlite3.Connection, alert: Alert, now: float, settings: AlertSettings) -> None:
    """One more reminder went out: the next one waits twice as long, at most `reminder_max`."""
    reminders = alert.reminders + 1
    interval = min(settings.reminder_first * 2 ** reminders, settings.reminder_max)
    conn.execute(f"UPDATE alerts SET reminders = ?, next_reminder = ? WHERE {_ONE}",
                 (reminders, now + interval, *_ident(alert)))


def acknowledge(conn: sqlite3.Connection, alert: Alert, by: str, now: float) -> None:
    """Someone has it in hand: no reminders until it recovers (the recovery is still announced)."""
    conn.execute(f"UPDATE alerts SET acknowledged_by = ?, acknowledged_at = ? WHERE {_ONE}", (by, now, *_ident(alert)))


def forget(conn: sqlite3.Connection, alert: Alert) -> None:
    """The problem is gone."""
    conn.execute(f"DELETE FROM alerts WHERE {_ONE}", _ident(alert))
