"""Config through the real CLI: each kind of mistake is one line naming file, key and problem, exit 2."""
from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest

from teafarm.config import parse_config_file
from tests.helpers.backbone import TEAFARM
from tests.helpers.paths import REPO


def check(*args: str, cwd: Path, env: dict | None = None) -> subprocess.CompletedProcess:
    environment = {k: v for k, v in os.environ.items() if k != "TEAFARM_CONFIG"}
    return subprocess.run(TEAFARM + ["config", "check", *args], capture_output=True, text=True, cwd=cwd,
                          env={**environment, **(env or {})}, timeout=60)


@pytest.mark.parametrize("text, expected", [
    ("server:\n  listne: 0.0.0.0:8443\n", "server.listne: unknown key"),
    ("client:\n  interval: soon\n", "client.interval: expected a number, got 'soon'"),
    ("client:\n  throttle: 60\n", "client.throttle: expected a mapping"),
    ("chia:\n  enabled: maybe\n", "chia.enabled: expected true or false"),
    ("server:\n  names: localhost\n", "server.names: expected a list"),
    ("server:\n  listen: [a\n", ":3: not valid YAML"),
    ("bot:\n  telegram:\n    token: ${TEAFARM_TEST_UNSET_VAR}\n", "bot.telegram.token: environment variable TEAFARM_TEST_UNSET_VAR is not set"),
    ("- a list\n", "config: expected a mapping"),
    ("logging:\n  level: LOUD\n", "logging.level: must be one of DEBUG, INFO, WARNING, ERROR, got 'LOUD'"),
])
def test_each_kind_of_mistake_is_one_clear_line(tmp_path, text, expected):
    path = tmp_path / "config.yml"
    path.write_text(text)
    result = check("--config", str(path), cwd=tmp_path)
    assert result.returncode == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and "Traceback" not in result.stderr, result.stderr
    assert str(path) in lines[0] and expected in lines[0], lines[0]


def test_missing_files_named_by_flag_or_environment(tmp_path):
    result = check("--config", "nope.yml", cwd=tmp_path)
    assert (result.returncode, result.stderr.strip()) == (2, "teafarm: error: --config nope.yml: file does not exist")
    result = check(cwd=tmp_path, env={"TEAFARM_CONFIG": str(tmp_path / "gone.yml")})
    assert result.returncode == 2 and f"TEAFARM_CONFIG={tmp_path / 'gone.yml'}: file does not exist" in result.stderr


def test_search_order_and_built_in_defaults(tmp_path):
    (tmp_path / "config.yml").write_text("client:\n  interval: 2\n")
    assert f"ok: {tmp_path / 'config.yml'}" in check(cwd=tmp_path).stdout
    other = tmp_path / "env.yml"
    other.write_text("{}\n")
    assert f"ok: {other}" in check(cwd=tmp_path, env={"TEAFARM_CONFIG": str(other)}).stdout
    empty = tmp_path / "empty"
    empty.mkdir()
    assert "built-in defaults" in check(cwd=empty, env={"HOME": str(empty)}).stdout


def test_relative_paths_resolve_against_the_config_folder_and_env_vars_expand(tmp_path, monkeypatch):
    folder = tmp_path / "etc"
    folder.mkdir()
    path = folder / "config.yml"
    path.write_text("data_dir: farmdata\nserver:\n  listen: ${TEST_LISTEN}\n")
    monkeypatch.setenv("TEST_LISTEN", "0.0.0.0:9443")
    monkeypatch.setenv("TEAFARM_TELEGRAM_TOKEN", "123:abc")
    monkeypatch.chdir(tmp_path)
    config = parse_config_file(path)
    assert config.data_dir == folder / "farmdata"
    assert config.server.listen == "0.0.0.0:9443"
    assert config.bot.telegram.token == "123:abc"


def test_config_init_writes_the_documented_default_and_it_validates(tmp_path):
    import subprocess as sp
    result = sp.run(TEAFARM + ["config", "init", "my.yml"], capture_output=True, text=True, cwd=tmp_path, timeout=60)
    assert result.returncode == 0, result.stderr
    assert (tmp_path / "my.yml").read_text() == (REPO / "config.yml").read_text()
    assert check("--config", "my.yml", cwd=tmp_path).returncode == 0
    again = sp.run(TEAFARM + ["config", "init", "my.yml"], capture_output=True, text=True, cwd=tmp_path, timeout=60)
    assert again.returncode == 2 and "already exists" in again.stderr


def test_the_documented_default_config_equals_the_built_in_defaults():
    from teafarm.config import Config
    from teafarm.typed_config import to_plain
    documented = parse_config_file(REPO / "config.yml")
    documented.source = None
    assert to_plain(documented) == to_plain(Config())
