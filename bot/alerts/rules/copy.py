"""The copier: a copy failed (news, once per job), and every target of a machine is full."""
from __future__ import annotations

from bot.alerts.rules.base import Finding, Rule, RuleContext
from bot.alerts.transition import Transition

MEMORY = "copy_targets"


class CopyHealth(Rule):
    names = ("copy_failed", "copy_targets_full")
    topics = ("copy_job", "copy_target")

    def check(self, t: Transition, ctx: RuleContext) -> list[Finding]:
        return self._job(t) if t.topic == "copy_job" else self._targets(t, ctx)

    def _job(self, t: Transition) -> list[Finding]:
        if t.after is None or t.after.get("state") != "FAILED" or (t.before or {}).get("state") == "FAILED":
            return []
        a = t.after
        return [Finding("copy_failed", t.machine, t.id, True, "Copy failed",
                        f"{a.get('plot')} -> {a.get('target') or '?'} on {t.machine}: {a.get('error') or 'no reason given'}",
                        one_shot=True, source_time=t.server_time)]

    def _targets(self, t: Transition, ctx: RuleContext) -> list[Finding]:
        states = ctx.memory.get(MEMORY, t.machine, "") or {}
        was_full = _all_full(states)
        if t.after is None:
            states.pop(t.id, None)
        else:
            states[t.id] = t.after.get("state")
        ctx.memory.put(MEMORY, t.machine, "", states or None)
        now_full = _all_full(states)
        if now_full and not was_full:
            return [Finding("copy_targets_full", t.machine, "", True, "Every copy target full",
                            f"the copier on {t.machine} has no target with room ({len(states)} targets): "
                            f"finished plots wait on the plotter", source_time=t.server_time)]
        if was_full and not now_full:
            return [Finding("copy_targets_full", t.machine, "", False, "Every copy target full", source_time=t.server_time)]
        return []


def _all_full(states: dict[str, str]) -> bool:
    return bool(states) and "AVAILABLE" not in states.values() and "FULL" in states.values()


def seed(ctx: RuleContext) -> None:
    """A bot.db started on an existing farm: target states from the state table."""
    states: dict[str, dict[str, str]] = {}
    for r in ctx.reader.query("SELECT machine, id, state FROM copy_target"):
        states.setdefault(r["machine"], {})[r["id"]] = r["state"]
    for machine, value in states.items():
        ctx.memory.put(MEMORY, machine, "", value)
