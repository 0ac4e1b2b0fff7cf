"""The `teafarm` command builds every subcommand's parser at start, so what it imports then is what
every command pays before it does anything (issue 14, point 12): the small teafarm/commands/*
modules, never gRPC, cryptography, protobuf, YAML, the bot or the copier. `teafarm chia parse-log`
adds only its parsers."""
from __future__ import annotations

import json
import subprocess
import sys

from tests.helpers.paths import REPO

HEAVY = ("grpc", "cryptography", "google.protobuf", "yaml", "bot", "copier", "monitor.server", "monitor.store",
         "protocol", "asyncio", "importlib.metadata")


def imported_after(code: str) -> set[str]:
    probe = f"import json, sys\n{code}\nprint(json.dumps(sorted(sys.modules)))"
    result = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, cwd=REPO, timeout=60)
    assert result.returncode == 0, result.stderr
    return set(json.loads(result.stdout.splitlines()[-1]))


def heavy(modules: set[str]) -> list[str]:
    return sorted(m for m in modules if any(m == h or m.startswith(h + ".") for h in HEAVY))


def test_building_the_command_line_imports_nothing_heavy():
    assert heavy(imported_after("from teafarm.cli import build_parser\nbuild_parser()")) == []


def test_parse_log_imports_its_parsers_and_nothing_heavy(tmp_path):
    empty = tmp_path / "debug.log"
    empty.touch()
    modules = imported_after(f"from teafarm.cli import main\nmain(['chia', 'parse-log', {str(empty)!r}])")
    assert "monitor.client.chia.logs.parser" in modules
    assert heavy(modules) == []
