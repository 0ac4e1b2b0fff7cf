"""Farm figures shared by commands, alert rules and the daily summary."""
