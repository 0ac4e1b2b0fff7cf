"""Partials failing in a row, and a pool that cannot be reached."""
from __future__ import annotations

from bot.alerts.rules.base import Finding, Rule, RuleContext
from bot.alerts.transition import Transition

MEMORY = "partial_streak"


class PoolHealth(Rule):
    names = ("partials_failing", "pool_unreachable")
    topics = ("partial", "pool")

    def check(self, t: Transition, ctx: RuleContext) -> list[Finding]:
        return self._partial(t, ctx) if t.topic == "partial" else self._pool(t)

    def _partial(self, t: Transition, ctx: RuleContext) -> list[Finding]:
        launcher = t.after.get("launcher_id") or ""
        streak = ctx.memory.get(MEMORY, t.machine, launcher) or 0
        limit = ctx.settings.partial_failures
        if t.after.get("accepted"):
            ctx.memory.put(MEMORY, t.machine, launcher, None)
            if streak >= limit:
                return [Finding("partials_failing", t.machine, launcher, False, "Partials failing", source_time=t.server_time)]
            return []
        streak += 1
        ctx.memory.put(MEMORY, t.machine, launcher, streak)
        if streak == limit:
            error = t.after.get("error") or "no reason given"
            return [Finding("partials_failing", t.machine, launcher, True, "Partials failing",
                            f"{streak} partials in a row failed for pool {launcher[:8]} on {t.machine}: {error}",
                            source_time=t.server_time)]
        return []

    def _pool(self, t: Transition) -> list[Finding]:
        if t.before is None or t.after is None:
            return []
        if t.before.get("reachable") and not t.after.get("reachable"):
            error = t.after.get("last_error") or "no answer"
            return [Finding("pool_unreachable", t.machine, t.id, True, "Pool unreachable",
                            f"{t.after.get('pool_url') or t.id[:8]} cannot be reached from {t.machine}: {error}",
                            source_time=t.server_time)]
        if t.after.get("reachable") and not t.before.get("reachable"):
            return [Finding("pool_unreachable", t.machine, t.id, False, "Pool unreachable", source_time=t.server_time)]
        return []
