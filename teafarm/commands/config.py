"""`teafarm config init|check`."""
from __future__ import annotations

import argparse
from pathlib import Path

STARTER = Path(__file__).resolve().parents[1] / "starter-config.yml"


def add_commands(sub, common) -> None:
    config = sub.add_parser("config", help="write or check a config file")
    actions = config.add_subparsers(dest="action", metavar="ACTION", required=True)
    init = actions.add_parser("init", parents=[common], help="write a starter config (every key, with comments)")
    init.add_argument("path", nargs="?", default="~/.config/teafarm/config.yml",
                      help="where to write it (default: ~/.config/teafarm/config.yml, found before ./config.yml)")
    init.add_argument("--force", action="store_true", help="overwrite an existing file")
    init.set_defaults(func=run_init)
    check = actions.add_parser("check", parents=[common], help="validate a config file")
    check.add_argument("path", nargs="?", help="file to check (else the usual search order)")
    check.set_defaults(func=run_check)


def run_init(args: argparse.Namespace) -> int:
    import shutil

    from teafarm.typed_config import ConfigError

    target = Path(args.path).expanduser()
    if target.exists() and not args.force:
        raise ConfigError(f"{target}: already exists (use --force to overwrite)")
    target.parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(STARTER, target)
    print(f"wrote {target}: edit it, then `teafarm config check {target}`")
    return 0


def run_check(args: argparse.Namespace) -> int:
    from teafarm.config import load_config   # here, not at the top: `teafarm` builds every subcommand's parser

    config = load_config(args.path or args.config)
    where = config.source or "built-in defaults (no config file found)"
    print(f"ok: {where}")
    return 0
