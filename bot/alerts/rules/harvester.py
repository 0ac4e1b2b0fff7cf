"""A harvester lost its farmer, and came back. Keyed by node id; the first sight of a harvester
that is not connected (a new machine's initial sync) is not a disconnect."""
from __future__ import annotations

from bot.alerts.rules.base import Finding, Rule, RuleContext
from bot.alerts.transition import Transition


class HarvesterConnection(Rule):
    names = ("harvester_disconnected",)
    topics = ("harvester",)

    def check(self, t: Transition, ctx: RuleContext) -> list[Finding]:
        was = bool(t.before and t.before.get("connected"))
        now = bool(t.after and t.after.get("connected"))
        if was == now or (t.added and not now):
            return []
        node = t.id
        label = ctx.harvester(node, t.machine)
        if now:
            return [Finding("harvester_disconnected", t.machine, node, False, "Harvester disconnected",
                            harvester_id=node, harvester=label, source_time=t.server_time)]
        plots = (t.before or {}).get("plots") or 0
        how = "removed by its farmer" if t.deleted else "disconnected from its farmer"
        return [Finding("harvester_disconnected", t.machine, node, True, "Harvester disconnected",
                        f"harvester {label} {how} on {t.machine} ({plots:,} plots no longer farmed)",
                        harvester_id=node, harvester=label, source_time=t.server_time)]
