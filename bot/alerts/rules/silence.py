"""A machine that stopped talking (clients send a heartbeat every 30 s). A clock rule, since silence
produces no event; it counts from the bot's start too, because a bot that was down heard nothing
either.

It asks the engine to look again exactly when the next machine would cross `machine_silent`, so
"silent" goes out at its threshold, not on a fixed tick; while a machine is silent it looks every
WHILE_SILENT seconds, since a heartbeat that ends the silence is no event either.
"""
from __future__ import annotations

from bot.alerts.messages import clock_time
from bot.alerts.rules.base import Finding, Rule, RuleContext

WHILE_SILENT = 1.0


class MachineSilent(Rule):
    names = ("machine_silent",)

    def tick(self, ctx: RuleContext) -> list[Finding]:
        findings = []
        for name, last_seen in ctx.reader.query("SELECT machine, last_seen FROM machines"):
            silent_at = max(last_seen or 0.0, ctx.started) + ctx.settings.machine_silent
            if ctx.now >= silent_at:
                # since when, not "for N min": a duration is stale by the time it is read
                since = clock_time(last_seen or ctx.started, ctx.now)
                findings.append(Finding("machine_silent", name, "", True, "Machine silent",
                                        f"{name} silent since {since}: nothing, not even a heartbeat"))
                ctx.look_again(ctx.now + WHILE_SILENT)
            else:
                findings.append(Finding("machine_silent", name, "", False, "Machine silent",
                                        f"{name} is back: heard from at {clock_time(last_seen or ctx.now, ctx.now)}"))
                ctx.look_again(silent_at)
        return findings
