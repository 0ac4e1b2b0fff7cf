"""A machine that stopped talking (clients send a heartbeat every 30 s). A scheduled check, since
silence produces no event; it counts from the bot's start too, because a bot that was down heard
nothing either."""
from __future__ import annotations

from bot.alerts.rules.base import Finding, Rule, RuleContext


class MachineSilent(Rule):
    names = ("machine_silent",)

    def tick(self, ctx: RuleContext) -> list[Finding]:
        findings = []
        for m in ctx.reader.machines():
            heard = max(m["last_seen"] or 0.0, ctx.started)
            silent = ctx.now - heard > ctx.settings.machine_silent
            detail = f"{m['machine']} has sent nothing for {int(ctx.now - (m['last_seen'] or ctx.now)) // 60} min" if silent else ""
            findings.append(Finding("machine_silent", m["machine"], "", silent, "Machine silent", detail))
        return findings
