"""The alert engine: events by sequence number -> transitions -> rules -> alert state and outbox.

It follows a durable cursor (the last sequence number processed), never wall-clock windows.
One batch of events, the rules' memory, the alert state, the new outbox rows and the cursor move
in ONE bot.db transaction: after a crash the batch is simply processed again, so no alert is lost
and none is written twice.

The engine decides when an alert moves (bot.alerts.lifecycle keeps its states: pending, firing,
gone). Grace: in the first `startup_grace` seconds after the bot starts only critical alerts go
out, and a machine's first `startup_grace` seconds (its initial full sync) announce nothing; what
is still wrong afterwards is announced then.
"""
from __future__ import annotations

import logging
import sqlite3
import time
from collections.abc import Callable
from dataclasses import replace

from bot.alerts import lifecycle
from bot.alerts.botdb import get_cursor, set_cursor
from bot.alerts.delivery import LATE
from bot.alerts.lifecycle import Alert
from bot.alerts.messages import alert_reply, recovery_reply, reminder_reply
from bot.alerts.mutes import Mute, active_mutes, is_muted
from bot.alerts.outbox import enqueue, rewrite_unsent
from bot.alerts.quiet import QuietHours
from bot.alerts.rules import Finding, Rule, RuleContext, all_rules, resolved_kinds
from bot.alerts.rules.base import Memory
from bot.alerts.rules.copy import seed as seed_copy
from bot.alerts.rules.plots import seed as seed_plots
from bot.alerts.rules.wallet import seed as seed_wallet
from bot.alerts.settings import AlertSettings
from bot.alerts.transition import transition_of
from bot.stats.harvesters import machines_of
from monitor.sqlite_tx import transaction
from monitor.store.reader import StoreReader

log = logging.getLogger(__name__)

CURSOR = "alerts"
BATCH = 2000
DEFAULT_LOOK = 30.0     # seconds between runs of a clock rule that did not say when it next needs to look


class AlertEngine:
    def __init__(self, reader: StoreReader, botdb: sqlite3.Connection, settings: AlertSettings,
                 started: float | None = None, clock: Callable[[], float] = time.time) -> None:
        self.reader = reader
        self.botdb = botdb
        self.settings = settings
        self.clock = clock
        self.started = started if started is not None else clock()
        self.kinds = resolved_kinds(settings)
        self.quiet = QuietHours.parse(settings.quiet_hours)
        self.rules: list[Rule] = [r for r in all_rules() if any(self.kinds[n][1] for n in r.names)]
        self.by_topic: dict[str, list[Rule]] = {}
        for rule in self.rules:
            for topic in rule.topics:
                self.by_topic.setdefault(topic, []).append(rule)
        self.memory = Memory(botdb)
        # the rules with a clock side, and when each needs to look next (0: at the first round)
        self.tickers = [r for r in self.rules if type(r).tick is not Rule.tick]
        self.next_look: dict[int, float] = {id(r): 0.0 for r in self.tickers}

    # -- events ---------------------------------------------------------------------------------
    def initialize(self) -> None:
        """First start of a bot.db on a farm with history: begin at the newest event (old events
        announce nothing now; retention may have pruned the start anyway) with the rules'
        memory taken from the state tables."""
        with transaction(self.botdb):
            if self.botdb.execute("SELECT 1 FROM cursors WHERE name = ?", (CURSOR,)).fetchone():
                return
            newest = self.reader.max_seq()
            if newest:
                self.memory.forget_cache()
                ctx = self._context(self.clock())
                seed_plots(ctx)
                seed_copy(ctx)
                seed_wallet(ctx)
                self.memory.flush()
            set_cursor(self.botdb, CURSOR, newest)

    def process(self, now: float | None = None, limit: int = BATCH) -> int:
        """Run the rules over the next batch of events; returns how many were processed."""
        now = self.clock() if now is None else now
        self.memory.forget_cache()
        try:
            with transaction(self.botdb):
                cursor = get_cursor(self.botdb, CURSOR)
                events = self.reader.events_after(cursor, limit)
                if not events:
                    return 0
                ctx = self._context(now)
                first_seen = self._first_seen(now)
                mutes = active_mutes(self.botdb, now)
                for event in events:
                    rules = self.by_topic.get(event.topic)
                    if not rules:
                        continue
                    transition = transition_of(event, self.reader)
                    for rule in rules:
                        for finding in self._safe(rule.check, transition, ctx):
                            finding.at = finding.at or transition.time
                            self._apply(finding, now, first_seen, mutes)
                self.memory.flush()
                set_cursor(self.botdb, CURSOR, events[-1].seq)
                return len(events)
        finally:
            self.memory.forget_cache()

    def catch_up(self, now: float | None = None) -> int:
        total = 0
        while (done := self.process(now)):
            total += done
        return total

    # -- the clock: silence, accepted plot counts, debounce/grace ends, reminders ----------------
    def tick(self, now: float | None = None) -> None:
        """Run every clock rule now."""
        self._tick(self.clock() if now is None else now, self.tickers)

    def tick_due(self, now: float | None = None) -> None:
        """Run the clock rules whose next look has come; cheap when none has (no query), so the
        service calls it on every round: a rule is looked at within one idle wake of when it asked."""
        now = self.clock() if now is None else now
        due = [rule for rule in self.tickers if self.next_look[id(rule)] <= now]
        if due:
            self._tick(now, due)

    def _tick(self, now: float, rules: list[Rule]) -> None:
        self.memory.forget_cache()
        looks = {}
        try:
            with transaction(self.botdb):
                ctx = self._context(now)
                findings = []
                for rule in rules:
                    ctx.next_look = None
                    findings += self._safe(rule.tick, ctx)
                    # a rule that did not say looks again after DEFAULT_LOOK (never later: a safety net)
                    looks[id(rule)] = now + DEFAULT_LOOK if ctx.next_look is None else min(ctx.next_look, now + DEFAULT_LOOK)
                # a clock rule reports every machine each look (every second while one is silent):
                # what changes nothing (all clear with no alert open, the same problem again) is
                # skipped here, against one read of the open alerts, not a query per finding
                open_now = {(a.rule, a.machine, a.key): a for a in lifecycle.open_alerts(self.botdb)}
                findings = [f for f in findings if not _changes_nothing(f, open_now.get((f.rule, f.machine, f.key)))]
                if findings:
                    first_seen = self._first_seen(now)
                    mutes = active_mutes(self.botdb, now)
                    for finding in findings:
                        self._apply(finding, now, first_seen, mutes)
                self.memory.flush()
            self.next_look.update(looks)     # only once committed: a failed round is tried again at once
        finally:
            self.memory.forget_cache()

    def sweep(self, now: float | None = None) -> None:
        """Announce pending alerts whose wait is over; remind firing ones that are due."""
        now = self.clock() if now is None else now
        with transaction(self.botdb):
            mutes = active_mutes(self.botdb, now)
            first_seen = None
            for alert in lifecycle.due_pending(self.botdb, now):
                if first_seen is None:
                    first_seen = self._first_seen(now)
                if lifecycle.is_pending(self.botdb, alert):   # not announced just now with an alert of the same cause
                    self._announce_with_cause(alert, now, mutes, first_seen)
            for alert in lifecycle.due_reminders(self.botdb, now):
                if is_muted(mutes, alert.rule, alert.machine, alert.harvester_id):
                    continue
                if not alert.announced:          # muted when it fired, unmuted since: announce it now
                    self._announce(alert, now, mutes)
                    continue
                lifecycle.remind(self.botdb, alert, now, self.settings)
                self._send(reminder_reply(alert, now), alert.machine, alert.rule, alert.severity, now, None)

    # -- internals ------------------------------------------------------------------------------
    def _context(self, now: float) -> RuleContext:
        return RuleContext(self.settings, self.reader, self.memory, now, self.started, machines_of(self.reader))

    @staticmethod
    def _safe(method, *args) -> list[Finding]:
        """A rule that fails on one odd transition is logged and skipped; it never stops the engine."""
        try:
            return method(*args) or []
        except Exception:
            log.exception("alert rule %s failed on %r", type(method.__self__).__name__, args[0] if args else None)
            return []

    def _grace_until(self, machine: str, severity: str, first_seen: dict[str, float]) -> float:
        until = first_seen.get(machine, 0.0) + self.settings.startup_grace
        if severity != "critical":
            until = max(until, self.started + self.settings.startup_grace)
        return until

    def _apply(self, f: Finding, now: float, first_seen: dict[str, float], mutes: list[Mute]) -> None:
        kind, enabled = self.kinds[f.rule]
        if not enabled:
            return
        severity = f.severity or kind.severity
        if f.one_shot:
            if is_muted(mutes, f.rule, f.machine, f.harvester_id):
                return
            hold = max(now, self._grace_until(f.machine, severity, first_seen))
            self._send(alert_reply(replace(f, severity=severity)), f.machine, f.rule, severity, now, f, hold)
            return
        alert = lifecycle.find(self.botdb, f.rule, f.machine, f.key)
        if f.active:
            if alert is not None:
                if f.detail and f.detail != alert.detail:
                    alert = lifecycle.update_detail(self.botdb, alert, f.detail)
                    if alert.outbox_id is not None:   # an announcement still waiting shows the latest detail
                        rewrite_unsent(self.botdb, alert.outbox_id, alert_reply(alert))
                return
            due = max(now + kind.debounce, self._grace_until(f.machine, severity, first_seen))
            alert = lifecycle.begin(self.botdb, f, severity, now, due)
            if due <= now:
                self._announce_with_cause(alert, now, mutes, first_seen, f)
            return
        if alert is None:
            return
        lifecycle.forget(self.botdb, alert)
        if alert.announced and not is_muted(mutes, f.rule, f.machine, alert.harvester_id):
            # routed as the alert was: a destination that wants only critical alerts hears this one ended
            self._send(recovery_reply(alert, f.detail, now), f.machine, f.rule, "ok", now, f,
                       route_as=alert.severity)

    def _announce_with_cause(self, alert: Alert, now: float, mutes: list[Mute], first_seen: dict[str, float],
                             finding: Finding | None = None) -> None:
        """Announce `alert` and, with it, the alerts of its machine whose problems began within
        `group_window` of its own (one cause: a disk unplugged is disk gone, plots lost, plots
        unreadable), even if their own debounce has not run out: they go out as one message."""
        self._announce(alert, now, mutes, finding)
        window = self.settings.group_window
        if window <= 0:
            return
        for other in lifecycle.same_cause(self.botdb, alert, window):
            if self._grace_until(other.machine, other.severity, first_seen) <= now:
                self._announce(other, now, mutes, finding)

    def _first_seen(self, now: float) -> dict[str, float]:
        return {m["machine"]: m["first_seen"] or now for m in self.reader.machines()}

    def _announce(self, alert: Alert, now: float, mutes: list[Mute], finding: Finding | None = None) -> None:
        muted = is_muted(mutes, alert.rule, alert.machine, alert.harvester_id)
        reply = alert_reply(alert)
        if finding is None and alert.happened and alert.since - alert.happened > LATE:
            reply.at = alert.happened   # the engine learned of it late (a client's backlog): the message says when
        outbox_id = None if muted else self._send(reply, alert.machine, alert.rule, alert.severity, now, finding)
        lifecycle.fire(self.botdb, alert, now, outbox_id, self.settings)

    def _send(self, reply, machine: str, rule: str, severity: str, now: float, finding: Finding | None,
              hold: float | None = None, route_as: str | None = None) -> int:
        """Queue `reply`; `finding`: the event's finding it answers at once (none: a debounce or a
        reminder ran out), whose time the message carries (delivered late, it says when it happened)."""
        not_before = hold if hold is not None else now
        if severity != "critical":
            not_before = self.quiet.release_time(not_before)
        if finding is not None and finding.at:
            reply.at = finding.at
        return enqueue(self.botdb, reply, machine, rule, now, not_before, finding.source_time if finding else None,
                       route_as=route_as)


def _changes_nothing(f: Finding, alert: Alert | None) -> bool:
    """Would _apply leave everything as it is? (an all-clear with no alert open, or the open
    alert's problem again with the same detail)"""
    if f.one_shot:
        return False
    if alert is None:
        return not f.active
    return f.active and (not f.detail or f.detail == alert.detail)
