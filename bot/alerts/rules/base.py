"""The rule seam: `check(transition) -> findings`, and `tick()` for what only a clock can notice
(a tick may say when it next needs to look: `ctx.look_again(at)`).

A rule says whether a problem is present (active) or gone for one thing (machine + key); the
engine turns that into exactly one alert, reminders and one recovery. News (a proof, a failed
copy) is a one-shot finding: sent once, never reminded, never "recovered".
"""
from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from bot.alerts.settings import AlertSettings
from bot.alerts.transition import Transition
from bot.stats.harvesters import harvester_label
from monitor.store.reader import StoreReader


@dataclass
class Finding:
    rule: str
    machine: str
    key: str                      # what on the machine: a harvester node id, a mountpoint, a service
    active: bool                  # the problem is present (True) or gone (False)
    title: str = ""               # one line: "Harvester disconnected"
    detail: str = ""              # what the owner needs to know to act
    harvester_id: str = ""        # node id of the harvester concerned ("" when none)
    harvester: str = ""           # its label: machine name + short node id
    one_shot: bool = False        # news: sent once, no reminders and no recovery
    severity: str = ""            # "" = the rule's (configurable) severity
    source_time: float = 0.0      # server receive time of the event behind it
    # when it happened: the event's own time (the engine fills it in). Well before the receive time
    # for a client's buffered events (an outage): the message says when it happened, not when it came
    at: float = 0.0


class Memory:
    """Small per-rule state kept in bot.db (high-water marks, recent buckets), written in the
    engine's transaction together with the cursor, so a restart resumes exactly."""

    def __init__(self, conn: sqlite3.Connection) -> None:
        self.conn = conn
        self.cache: dict[tuple[str, str, str], Any] = {}
        self.dirty: set[tuple[str, str, str]] = set()

    def get(self, rule: str, machine: str, key: str, default: Any = None) -> Any:
        k = (rule, machine, key)
        if k not in self.cache:
            row = self.conn.execute("SELECT value FROM rule_memory WHERE rule = ? AND machine = ? AND key = ?", k).fetchone()
            self.cache[k] = json.loads(row[0]) if row else default
        return self.cache[k]

    def put(self, rule: str, machine: str, key: str, value: Any) -> None:
        self.cache[(rule, machine, key)] = value
        self.dirty.add((rule, machine, key))

    def all(self, rule: str) -> Iterable[tuple[str, str, Any]]:
        self.flush()
        for r in self.conn.execute("SELECT machine, key, value FROM rule_memory WHERE rule = ?", (rule,)):
            yield r[0], r[1], json.loads(r[2])

    def flush(self) -> None:
        for k in self.dirty:
            value = self.cache[k]
            if value is None:
                self.conn.execute("DELETE FROM rule_memory WHERE rule = ? AND machine = ? AND key = ?", k)
            else:
                self.conn.execute("INSERT OR REPLACE INTO rule_memory (rule, machine, key, value) VALUES (?, ?, ?, ?)",
                                  (*k, json.dumps(value)))
        self.dirty.clear()

    def forget_cache(self) -> None:
        self.cache.clear()
        self.dirty.clear()


@dataclass
class RuleContext:
    settings: AlertSettings
    reader: StoreReader
    memory: Memory
    now: float
    started: float                                  # when the bot started (machine silence counts from here)
    homes: dict[str, str] = field(default_factory=dict)   # harvester node id -> machine it runs on
    next_look: float | None = None                  # set by a tick through look_again()

    def look_again(self, at: float) -> None:
        """From tick(): look again at `at` at the latest (the earliest of several calls wins)."""
        self.next_look = at if self.next_look is None else min(self.next_look, at)

    def harvester(self, node_id: str, fallback_machine: str) -> str:
        return harvester_label(self.homes.get(node_id, fallback_machine), node_id)


class Rule:
    names: tuple[str, ...] = ()                     # the alerts it can raise (severity, debounce: rules.ALERTS)
    topics: tuple[str, ...] = ()                    # topics whose transitions it checks

    def check(self, t: Transition, ctx: RuleContext) -> list[Finding]:
        return []

    def tick(self, ctx: RuleContext) -> list[Finding]:
        """Findings only the passing of time reveals. The engine runs it again when the rule asked
        (`ctx.look_again`), else every engine.DEFAULT_LOOK seconds."""
        return []
