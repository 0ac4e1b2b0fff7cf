"""Missed signage points and slow lookups per harvester, over the last `farming_window` of minute
buckets (by each bucket's own time). Hysteresis keeps a harvester near the threshold from flapping.

Missed counts what lost its proof: no answer, or one after chia's 28 s window, and the signage
points the full node skipped. Those a harvester missed while disconnected from its farmer belong to
its disconnect: harvester_disconnected reports them (one message), so they are left out here."""
from __future__ import annotations

from bot.alerts.rules.base import Finding, Rule, RuleContext
from bot.alerts.transition import Transition

MEMORY = "farming_window"
MIN_EXPECTED = 32      # ~5 minutes of signage points before a percentage means anything
RECOVER_FRACTION = 0.5


class FarmingHealth(Rule):
    names = ("missed_signage_points", "slow_lookups")
    topics = ("farming",)

    def check(self, t: Transition, ctx: RuleContext) -> list[Finding]:
        bucket = t.after
        node = bucket.get("harvester_node_id") or ""
        window = [b for b in (ctx.memory.get(MEMORY, t.machine, node) or []) if b[0] > t.time - ctx.settings.farming_window]
        away = bucket.get("sp_missed_disconnected") or 0
        missed = (bucket.get("sp_missed") or 0) + (bucket.get("sp_late_28s") or 0) - away
        window.append([t.time, (bucket.get("sp_expected") or 0) - away, missed, bucket.get("lookup_p95") or 0.0])
        window = [b for b in window if b[0] > max(x[0] for x in window) - ctx.settings.farming_window]
        ctx.memory.put(MEMORY, t.machine, node, window)
        label = ctx.harvester(node, t.machine)
        minutes = round(ctx.settings.farming_window / 60)
        findings = []
        expected = sum(b[1] for b in window)
        missed = sum(b[2] for b in window)
        if expected >= MIN_EXPECTED:
            pct = 100.0 * missed / expected
            threshold = ctx.settings.missed_sp_percent
            if pct > threshold:
                findings.append(Finding("missed_signage_points", t.machine, node, True, "Missed signage points",
                                        f"harvester {label} missed {missed} of {expected} signage points ({pct:.1f}%) "
                                        f"in the last {minutes} min", node, label, source_time=t.server_time))
            elif pct <= threshold * RECOVER_FRACTION:
                findings.append(Finding("missed_signage_points", t.machine, node, False, "Missed signage points",
                                        harvester_id=node, harvester=label, source_time=t.server_time))
        lookups = sorted(b[3] for b in window if b[1])
        if len(lookups) >= 5:
            p95 = lookups[min(len(lookups) - 1, int(0.95 * len(lookups)))]
            slow = ctx.settings.slow_lookup_seconds
            if p95 > slow:
                findings.append(Finding("slow_lookups", t.machine, node, True, "Slow lookups",
                                        f"harvester {label}: lookup p95 {p95:.1f} s over the last {minutes} min "
                                        f"(proofs are lost after 28 s; check disks and network mounts)",
                                        node, label, source_time=t.server_time))
            elif p95 <= slow * 0.8:
                findings.append(Finding("slow_lookups", t.machine, node, False, "Slow lookups",
                                        harvester_id=node, harvester=label, source_time=t.server_time))
        return findings
