"""Config fuzz: configs generated from the settings dataclasses' own fields, with extreme values,
wrong types, NaN and infinities, huge numbers and odd text. Each one either passes both `teafarm
config check` and start, or fails both with the same one line; neither ever shows a traceback.

Start here is what a long-running command does before it listens: load (which validates), make the
data folder private, and build the server, the bot and the client from the config, in this
process; a handful of the refused configs then go through the real commands too.
"""
from __future__ import annotations

import dataclasses
import io
import math
import os
import subprocess
import types
import typing
from contextlib import redirect_stderr, redirect_stdout
from pathlib import Path
from typing import Any, Literal, get_args, get_origin

import yaml
from hypothesis import HealthCheck, given, settings, strategies as st

from bot.alerts.rules import ALERTS
from protocol.registry import BY_NAME
from teafarm import cli
from teafarm.apps import bot_app, client_app, server_app
from teafarm.config import Config, load_config
from teafarm.runtime import make_private
from teafarm.typed_config import ConfigError, to_plain
from tests.helpers.backbone import TEAFARM

ODD_TEXT = st.one_of(
    st.text(max_size=12),
    st.sampled_from(["", " ", "\n", "\t", "${TEAFARM_FUZZ_UNSET}", "0", "-1", "1e400", "nan", ".inf", "yes", "~",
                     "08:00", "24:00", "23:00-07:00", "23:00-23:00", "127.0.0.1", "127.0.0.1:8443", "[::1]:8443", "::1",
                     "host:0", "host:65536", ":8443", "host:", "unix:/tmp/x", "@channel", "-1001234567890", "123",
                     "http://127.0.0.1:9/x", "https://", "ftp://x", "é", "\x7f", "\u202e", "a" * 300, "a/b", ".."]))
# paths: relative (to the config's folder, a fresh temp folder), never ~ or absolute: nothing outside it is touched
PATHS = st.one_of(st.sampled_from(["", ".", "data", "db/teafarm.db", "a file", "a file/below", "a folder", "x" * 300]),
                  st.text(alphabet="abé._- ", min_size=1, max_size=8).filter(lambda t: not t.startswith("~")))
WRONG = st.one_of(st.none(), st.booleans(), st.integers(-3, 3), st.floats(), st.text(max_size=4),
                  st.lists(st.integers(), max_size=2), st.dictionaries(st.text(max_size=3), st.integers(), max_size=2))
HUGE_INTS = st.sampled_from([0, -1, 2**31, 2**63, 10**30, 10**400])
ODD_FLOATS = st.sampled_from([0.0, -0.0, 1e-300, 1e300, math.nan, math.inf, -math.inf, 0.1, -5.0])
DICT_KEYS = st.one_of(st.sampled_from(["default", *BY_NAME, *ALERTS]), st.text(max_size=6))


def values(tp: Any, default: Any) -> st.SearchStrategy:
    """Values for a field of type `tp`: its default, plausible and extreme ones, and wrong types."""
    origin = get_origin(tp)
    if origin in (typing.Union, types.UnionType):
        return values(next(a for a in get_args(tp) if a is not type(None)), default)
    if dataclasses.is_dataclass(tp):
        return sometimes_wrong(section(tp))
    if origin is Literal:
        right = st.sampled_from(get_args(tp))
    elif origin is list:
        right = st.lists(values(get_args(tp)[0], None), max_size=3)
    elif origin is dict:
        right = st.dictionaries(DICT_KEYS, values(get_args(tp)[1], None), max_size=3)
    elif tp is bool:
        right = st.booleans()
    elif tp is int:
        right = st.one_of(st.integers(-5, 100), st.integers(), HUGE_INTS)
    elif tp is float:
        right = st.one_of(st.floats(), ODD_FLOATS, st.integers(-10, 10**6), HUGE_INTS)
    elif tp is str:
        right = ODD_TEXT
    elif tp is Path:
        right = PATHS
    else:
        raise TypeError(tp)
    if default is not None:
        right = st.one_of(st.just(to_plain(default)), right)
    return sometimes_wrong(right)


def sometimes_wrong(right: st.SearchStrategy) -> st.SearchStrategy:
    """A value of the wrong type one time in ten: more often, nearly every config stops at its first key."""
    return st.integers(0, 9).flatmap(lambda n: WRONG if n == 0 else right)


@st.composite
def section(draw, cls: type) -> dict:
    """A few of the section's keys (most of a config file is defaults), now and then an unknown one."""
    hints = typing.get_type_hints(cls)
    fields = [f for f in dataclasses.fields(cls) if not f.metadata.get("not_a_key")]
    chosen = draw(st.lists(st.sampled_from(fields), max_size=4, unique_by=lambda f: f.name))
    data = {f.name: draw(values(hints[f.name], _default(f))) for f in chosen}
    if draw(st.integers(0, 15)) == 0:
        data["no_such_key"] = 1
    return data


def _default(f: dataclasses.Field) -> Any:
    if f.name == "data_dir":     # the built-in one is the user's own ~/.local/share/teafarm
        return None
    if f.default is not dataclasses.MISSING:
        return f.default
    return f.default_factory() if f.default_factory is not dataclasses.MISSING else None


@st.composite
def config_files(draw) -> str:
    data = draw(section(Config))
    data.setdefault("data_dir", "data")                # never the user's own ~/.local/share/teafarm
    text = yaml.safe_dump(data, allow_unicode=draw(st.booleans()))
    if draw(st.integers(0, 19)) == 0:
        text += "data_dir: written twice\n"           # a duplicate key
    return text


def check(path: Path) -> tuple[int, str, str]:
    """`teafarm config check` (the real command line, in this process)."""
    out, err = io.StringIO(), io.StringIO()
    with redirect_stdout(out), redirect_stderr(err):
        code = cli.main(["config", "check", "--config", str(path)])
    return code, out.getvalue(), err.getvalue()


def start(path: Path) -> str | None:
    """What a start does before it listens; its one line when it refuses."""
    try:
        config = load_config(str(path))
        make_private(config)
        server_app(config)
        bot = bot_app(config)
        bot.dispatcher.close()
        client_app(config)
    except ConfigError as exc:
        return f"teafarm: error: {exc}"
    return None


def test_every_generated_config_passes_or_fails_check_and_start_alike(tmp_path_factory):
    folder = tmp_path_factory.mktemp("fuzz")
    (folder / "a file").write_text("not a folder\n")
    (folder / "a folder").mkdir()
    path = folder / "config.yml"
    refused: dict[str, str] = {}            # key path refused -> a config file refused there
    passed: list[str] = []
    saved = {k: os.environ.pop(k) for k in ("TEAFARM_DISCORD_TOKEN", "TEAFARM_TELEGRAM_TOKEN") if k in os.environ}

    @settings(max_examples=400, deadline=None, database=None, suppress_health_check=list(HealthCheck))
    @given(config_files())
    def one(text: str) -> None:
        path.write_text(text, encoding="utf-8")
        code, out, err = check(path)
        assert code in (0, 2), f"config check crashed (exit {code}):\n{text}\n{err}"
        started = start(path)
        if code == 0:
            assert started is None, f"config check passed, start refused:\n{text}\n{started}"
            assert out.startswith("ok: ")
            passed.append(text)
        else:
            assert err.count("\n") == 1 and err.strip() == started, f"check and start differ:\n{text}\n{err}{started}"
            refused.setdefault((started.split(": ") + [""])[3], text)    # "teafarm: error: FILE: KEY: problem"

    try:
        one()
    finally:
        os.environ.update(saved)
    # the generator reaches both sides: configs that pass, and many different keys refused
    assert len(passed) > 10 and len(refused) > 30, (len(passed), sorted(refused))
    # a handful through the real processes: each long-running command refuses with the check's line
    for command, text in zip(["server", "client", "bot", "up", "copy", "server"], list(refused.values())[::4]):
        path.write_text(text, encoding="utf-8")
        checked, started = (subprocess.run([*TEAFARM, *args, "--config", str(path)], capture_output=True, text=True,
                                           cwd=folder, timeout=60) for args in (["config", "check"], [command]))
        assert (checked.returncode, started.returncode) == (2, 2) and checked.stderr == started.stderr, (text, checked, started)
        assert len(checked.stderr.strip().splitlines()) == 1 and "Traceback" not in checked.stderr
