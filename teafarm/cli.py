"""The `teafarm` command: one module per subcommand group, each with `add_commands`."""
from __future__ import annotations

import argparse
import logging
import sys

from teafarm import __version__, up
from teafarm.commands import bot, certs, chia, client, config, copy, server
from teafarm.typed_config import ConfigError

# each module's `add_commands(subparsers, common)` sets `func(args) -> int` on its subcommands
COMMAND_MODULES = [config, certs, server, client, chia, bot, up, copy]


def build_parser() -> argparse.ArgumentParser:
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("--config", metavar="FILE", help="config file (else TEAFARM_CONFIG, ./config.yml, ~/.config/teafarm/config.yml)")
    parser = argparse.ArgumentParser(prog="teafarm", description="Watch a Chia farm, talk to its owner, move plots safely.")
    parser.add_argument("--version", action="version", version=f"teafarm {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for module in COMMAND_MODULES:
        module.add_commands(sub, common)
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if not getattr(args, "func", None):
        parser.print_help()
        return 2
    try:
        return int(args.func(args) or 0)
    except ConfigError as exc:
        print(f"teafarm: error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130
    except Exception:  # a bug, not a user mistake: log it fully, once
        logging.getLogger("teafarm").exception("teafarm %s failed", args.command)
        return 1


if __name__ == "__main__":
    sys.exit(main())
