"""Good news, sent once: a proof found, a block farmed."""
from __future__ import annotations

from bot.alerts.rules.base import Finding, Rule, RuleContext
from bot.alerts.transition import Transition


class ProofFound(Rule):
    names = ("proof_found",)
    topics = ("proof",)

    def check(self, t: Transition, ctx: RuleContext) -> list[Finding]:
        node = t.after.get("harvester_node_id") or ""
        label = ctx.harvester(node, t.machine)
        plot = t.after.get("plot") or "?"
        return [Finding("proof_found", t.machine, f"seq {t.seq}", True, "Proof found",
                        f"harvester {label} found a proof (plot {plot})", node, label, one_shot=True,
                        source_time=t.server_time)]


class BlockFound(Rule):
    names = ("block_found",)
    topics = ("block",)

    def check(self, t: Transition, ctx: RuleContext) -> list[Finding]:
        return [Finding("block_found", t.machine, f"seq {t.seq}", True, "Block farmed",
                        f"{t.machine} farmed block {t.after.get('height')} (signage point {t.after.get('signage_point_index')})",
                        one_shot=True, source_time=t.server_time)]
