"""A harvester lost its farmer, and came back. Keyed by node id; the first sight of a harvester
that is not connected (a new machine's initial sync) is not a disconnect.

While it is away it misses every signage point (the farmer's buckets count them apart, as
`sp_missed_disconnected`): they are part of this alert (its detail, shown by a waiting announcement
and by the reminders), not a second "missed signage points" message about the same cause."""
from __future__ import annotations

from bot.alerts.rules.base import Finding, Rule, RuleContext
from bot.alerts.transition import Transition

MEMORY = "harvester_away"      # node -> {"detail": ..., "missed": n} while it is disconnected


class HarvesterConnection(Rule):
    names = ("harvester_disconnected",)
    topics = ("harvester", "farming")

    def check(self, t: Transition, ctx: RuleContext) -> list[Finding]:
        if t.topic == "farming":
            return self._missed_while_away(t, ctx)
        was = bool(t.before and t.before.get("connected"))
        now = bool(t.after and t.after.get("connected"))
        if t.deleted and not was:      # forgotten by its farmer while away: no more buckets will come
            ctx.memory.put(MEMORY, t.machine, t.id, None)
        if was == now or (t.added and not now):
            return []
        node = t.id
        label = ctx.harvester(node, t.machine)
        if now:
            ctx.memory.put(MEMORY, t.machine, node, None)
            return [Finding("harvester_disconnected", t.machine, node, False, "Harvester disconnected",
                            harvester_id=node, harvester=label, source_time=t.server_time)]
        plots = (t.before or {}).get("plots") or 0
        how = "removed by its farmer" if t.deleted else "disconnected from its farmer"
        detail = f"harvester {label} {how} on {t.machine} ({plots:,} plots no longer farmed)"
        ctx.memory.put(MEMORY, t.machine, node, {"detail": detail, "missed": 0})
        return [Finding("harvester_disconnected", t.machine, node, True, "Harvester disconnected", detail,
                        harvester_id=node, harvester=label, source_time=t.server_time)]

    def _missed_while_away(self, t: Transition, ctx: RuleContext) -> list[Finding]:
        bucket = t.after or {}
        node = bucket.get("harvester_node_id") or ""
        missed = bucket.get("sp_missed_disconnected") or 0
        away = ctx.memory.get(MEMORY, t.machine, node) if missed else None
        if away is None:       # back already: the reconnect closed the alert, these are history
            return []
        away["missed"] += missed
        ctx.memory.put(MEMORY, t.machine, node, away)
        return [Finding("harvester_disconnected", t.machine, node, True, "Harvester disconnected",
                        f"{away['detail']}; {away['missed']:,} signage points missed since",
                        harvester_id=node, harvester=ctx.harvester(node, t.machine), source_time=t.server_time)]
