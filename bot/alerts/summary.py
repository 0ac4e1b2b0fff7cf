"""The daily summary: the /farm figures and what is still open, once a day at a configured time."""
from __future__ import annotations

from bot.alerts.lifecycle import FIRING, open_alerts
from bot.alerts.outbox import enqueue
from bot.commands.base import CommandContext
from bot.commands.farm import farm
from bot.reply import Reply, Section
from bot.transports.base import Incoming
from monitor.sqlite_tx import transaction

SUMMARY_ASKER = Incoming("scheduler", "", "", "daily summary", "/farm", is_admin=False)


def daily_summary(ctx: CommandContext) -> Reply:
    report = farm(ctx, "", SUMMARY_ASKER)
    firing = [f"[{a.severity}] {a.title}: {a.detail}" for a in open_alerts(ctx.botdb, FIRING)]
    sections = list(report.sections)
    if firing:
        sections.append(Section(heading="open alerts", lines=firing))
    return Reply("Daily summary", sections, "info")


def queue_daily_summary(ctx: CommandContext) -> None:
    reply = daily_summary(ctx)
    now = ctx.now()
    with transaction(ctx.botdb):
        enqueue(ctx.botdb, reply, "", "daily_summary", now, now)
