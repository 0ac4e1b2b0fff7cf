"""/subscribe critical|warning|all and /unsubscribe: alerts in the asking user's direct message.

The bot greets the user there first: a subscription is kept only when that worked, so a user whom
the platform will not let the bot write to (never started the Telegram bot, no shared Discord
server) learns at once what to do instead of missing alerts later."""
from __future__ import annotations

from bot.alerts.destinations import subscribe, unsubscribe
from bot.commands.base import Command, CommandContext, CommandError
from bot.reply import Reply, Section
from bot.transports.base import Destination, Incoming

LEVELS = {"critical": "critical", "warning": "warning", "all": "info"}
WHAT = {"critical": "critical alerts", "warning": "critical alerts and warnings", "info": "every alert"}
USAGE = "critical|warning|all"


def subscribe_command(ctx: CommandContext, args: str, who: Incoming) -> Reply:
    level = LEVELS.get(args.strip().lower() or "all")
    if level is None:
        raise CommandError(f"/subscribe {USAGE}: which alerts to get in your direct messages (got {args.strip()!r})")
    if who.transport == "console":
        return Reply.text("Subscribe", "The console already shows every alert.")
    if ctx.outlets is None:
        raise CommandError("/subscribe works in a chat with the running bot (teafarm bot)")
    greeting = Reply("Subscribed", [Section(lines=[f"You get {WHAT[level]} here from now on; /unsubscribe stops them."])],
                     silent=True)
    problem = ctx.outlets.run(ctx.outlets.send(Destination(who.transport, who.user_id, direct=True), greeting))
    if problem:
        return Reply.text("Not subscribed", f"The bot cannot write to you directly: {problem}")
    subscribe(ctx.botdb, who.transport, who.user_id, level, ctx.now())
    return Reply.text("Subscribed", f"{WHAT[level].capitalize()} go to your direct messages; /unsubscribe stops them.")


def unsubscribe_command(ctx: CommandContext, args: str, who: Incoming) -> Reply:
    if args.strip():
        raise CommandError("/unsubscribe takes no argument")
    if unsubscribe(ctx.botdb, who.transport, who.user_id):
        return Reply.text("Unsubscribed", "No more alerts in your direct messages.")
    return Reply.text("Unsubscribe", "You had no subscription.")


SUBSCRIBE = Command("subscribe", "Get alerts in your direct messages: critical, warning or all",
                    subscribe_command, usage=USAGE, argument="level")
UNSUBSCRIBE = Command("unsubscribe", "Stop alerts in your direct messages", unsubscribe_command)
