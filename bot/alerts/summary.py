"""The daily summary: the /farm figures and what is still open, once a day at a configured time."""
from __future__ import annotations

from bot.alerts.botdb import transaction
from bot.alerts.outbox import enqueue
from bot.commands.base import CommandContext
from bot.commands.farm import farm
from bot.reply import Reply, Section
from bot.transports.base import Incoming

SUMMARY_ASKER = Incoming("scheduler", "", "", "daily summary", "/farm", is_admin=False)


def daily_summary(ctx: CommandContext) -> Reply:
    report = farm(ctx, "", SUMMARY_ASKER)
    open_alerts = [f"[{r['severity']}] {r['title']}: {r['detail']}" for r in
                   ctx.botdb.execute("SELECT * FROM alerts WHERE status = 'firing' ORDER BY since")]
    sections = list(report.sections)
    if open_alerts:
        sections.append(Section(heading="open alerts", lines=open_alerts))
    return Reply("Daily summary", sections, "info")


def queue_daily_summary(ctx: CommandContext) -> None:
    reply = daily_summary(ctx)
    now = ctx.now()
    with transaction(ctx.botdb):
        enqueue(ctx.botdb, reply, "", "daily_summary", now, now)
