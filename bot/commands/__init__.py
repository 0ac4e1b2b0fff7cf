"""The command layer: chat text in, a transport-neutral Reply out (bot.commands.dispatch)."""
