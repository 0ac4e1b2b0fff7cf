"""The subcommands of `teafarm`, one module each: argument parsing here, the work in the feature packages
(imported only when a command runs, so `teafarm --help` and `teafarm copy` start fast)."""
