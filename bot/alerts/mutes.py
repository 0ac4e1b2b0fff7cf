"""Mutes: silence a rule, a machine or a harvester for a while (kept in bot.db).

A target is stored typed ("rule:disk_full", "machine:nas1", "harvester:<node id>") so a machine
that happens to share a rule's name is never muted by accident. A combined target mutes one rule on
one machine or harvester only ("rule:disk_full@machine:nas1": what an alert's Mute button sets).
"""
from __future__ import annotations

import sqlite3
from dataclasses import dataclass

from monitor.sqlite_tx import transaction

KINDS = ("rule", "machine", "harvester")


@dataclass(frozen=True)
class Mute:
    target: str
    until: float
    by: str

    @property
    def kind(self) -> str:
        return self.target.split(":", 1)[0]

    @property
    def name(self) -> str:
        return self.target.split(":", 1)[1]


def combined(rule: str, machine: str, harvester_id: str = "") -> str:
    """The target of one rule on one harvester (when the alert is about one) or else one machine."""
    return f"rule:{rule}@" + (f"harvester:{harvester_id}" if harvester_id else f"machine:{machine}")


def parts(target: str) -> list[str]:
    """"rule:disk_full@machine:nas1" -> ["rule:disk_full", "machine:nas1"]; a simple target is one part."""
    return target.split("@", 1) if target.startswith("rule:") else [target]


def add_mute(conn: sqlite3.Connection, target: str, until: float, by: str, now: float) -> None:
    with transaction(conn):
        conn.execute("INSERT OR REPLACE INTO mutes (target, until, created, by) VALUES (?, ?, ?, ?)", (target, until, now, by))


def remove_mute(conn: sqlite3.Connection, target: str | None) -> int:
    """Remove one mute (None: all); returns how many were removed."""
    with transaction(conn):
        if target is None:
            return conn.execute("DELETE FROM mutes").rowcount
        return conn.execute("DELETE FROM mutes WHERE target = ?", (target,)).rowcount


def active_mutes(conn: sqlite3.Connection, now: float) -> list[Mute]:
    return [Mute(r["target"], r["until"], r["by"])
            for r in conn.execute("SELECT * FROM mutes WHERE until > ? ORDER BY until", (now,))]


def is_muted(mutes: list[Mute], rule: str, machine: str, harvester_id: str) -> bool:
    wanted = {f"rule:{rule}", f"machine:{machine}", combined(rule, machine)}
    if harvester_id:
        wanted |= {f"harvester:{harvester_id}", combined(rule, machine, harvester_id)}
    return any(m.target in wanted for m in mutes)
