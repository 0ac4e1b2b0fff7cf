"""`teafarm bot`: commands, alert rules and chat transports."""
