"""/test: a test alert to every destination (chat channels, subscribed direct messages, Apprise URLs)
right now, bypassing the outbox, and which worked and which failed, with the reason."""
from __future__ import annotations

from bot.alerts.destinations import current
from bot.commands.base import Command, CommandContext, CommandError
from bot.reply import Reply, Section
from bot.transports.base import Incoming


def selftest_command(ctx: CommandContext, args: str, who: Incoming) -> Reply:
    if args.strip():
        raise CommandError("/test takes no argument")
    if ctx.outlets is None:
        raise CommandError("/test works in a chat with the running bot (teafarm bot)")
    destinations = current(ctx.outlets.transports.values(), ctx.botdb)
    if not destinations:
        return Reply.text("Test", "No destination is configured: alerts go nowhere (see bot.*.alert_* in config.yml).")
    # a warning, so it sounds like a real alert does: the point is to see it arrive
    alert = Reply.text("Test alert", f"sent by /test from {who.user_name or who.user_id} ({who.transport}): "
                                     "alerts reach this place", severity="warning")
    results = ctx.outlets.run(ctx.outlets.test_all(destinations, alert))
    worked = [d.name for d, problem in results if problem is None]
    failed = [f"{d.name}: {problem}" for d, problem in results if problem is not None]
    sections = [Section("worked", worked)] if worked else []
    if failed:
        sections.append(Section("failed", failed))
    return Reply(f"Test alert: {len(worked)} of {len(results)} destinations reached", sections)


COMMAND = Command("test", "Send a test alert to every destination and say which worked", selftest_command)
