"""The `teafarm` command: one module per subcommand group, each with `add_commands`.

Every run builds the whole parser, so the modules imported here stay small: each subcommand
imports its work when it runs (`teafarm chia parse-log` must not pay for gRPC, cryptography and
the bot before it reads a line).
"""
from __future__ import annotations

import argparse
import os
import sys

from teafarm.commands import bot, certs, chia, client, config, copy, doctor, server, up

# each module's `add_commands(subparsers, common)` sets `func(args) -> int` on its subcommands
COMMAND_MODULES = [config, certs, server, client, chia, bot, up, copy, doctor]


class _Version(argparse.Action):
    """--version, reading the installed version only when asked."""

    def __init__(self, option_strings, dest=argparse.SUPPRESS, default=argparse.SUPPRESS, help=None):
        super().__init__(option_strings, dest=dest, default=default, nargs=0, help=help)

    def __call__(self, parser, namespace, values, option_string=None):
        from teafarm import __version__

        parser.exit(message=f"teafarm {__version__}\n")


def build_parser() -> argparse.ArgumentParser:
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("--config", metavar="FILE", help="config file (else TEAFARM_CONFIG, ~/.config/teafarm/config.yml, ./config.yml)")
    parser = argparse.ArgumentParser(prog="teafarm", description="Watch a Chia farm, talk to its owner, move plots safely.")
    parser.add_argument("--version", action=_Version, help="show the version and exit")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for module in COMMAND_MODULES:
        module.add_commands(sub, common)
    return parser


def main(argv: list[str] | None = None) -> int:
    # gRPC's C core writes its own lines to stderr, past our logging: every failed TLS handshake at
    # INFO, `E... add_port.cc] Failed to add port` at ERROR for a port in use. teafarm says what failed
    # in one line of its own. Read when grpc is imported, so here; GRPC_VERBOSITY=debug shows them.
    os.environ.setdefault("GRPC_VERBOSITY", "NONE")
    parser = build_parser()
    args = parser.parse_args(argv)
    if not getattr(args, "func", None):
        parser.print_help()
        return 2
    try:
        return int(args.func(args) or 0)
    except KeyboardInterrupt:
        return 130
    except Exception as exc:
        from teafarm.typed_config import ConfigError   # here: the config machinery (yaml) costs ~30 ms to import

        if isinstance(exc, ConfigError):  # a user mistake: one line
            print(f"teafarm: error: {exc}", file=sys.stderr)
            return 2
        import logging

        logging.getLogger("teafarm").exception("teafarm %s failed", args.command)  # a bug: logged fully, once
        return 1


if __name__ == "__main__":
    sys.exit(main())
