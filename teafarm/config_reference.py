"""docs/configuration.md, generated from the config model: `python -m teafarm.config_reference >
docs/configuration.md` (tests/teafarm/test_config_reference.py fails when the page is stale).

Every key of every section dataclass (teafarm/config.py and the features' settings.py), with its
type and default; the description is the comment written beside the field (or just above it) in
its source, so the reference says what the code says and nobody keeps a second copy.
"""
from __future__ import annotations

import dataclasses
import inspect
import io
import re
import tokenize
import types
import typing
from pathlib import Path
from typing import Any, Literal, get_args, get_origin

import yaml

from teafarm.config import Config

HEADER = """# Configuration reference

Generated from the config model by `python -m teafarm.config_reference > docs/configuration.md`:
do not edit by hand. Every key below is checked by `teafarm config check`, `teafarm doctor` and every
start; a mistake is one line naming the file and the key. The commented example is `config.yml`
(`teafarm config init` writes it). Paths are relative to the config file's folder; `${VAR}` in a
value is taken from the environment.
"""

_FIELD = re.compile(r"^    (\w+)\s*:")     # a field of a dataclass body, at the class's indent


def reference() -> str:
    out = [HEADER]
    for path, cls in sections(Config, ""):
        out.append(f"## {path or 'top level'}\n")
        out.append("| key | type | default | what it is |\n|---|---|---|---|")
        hints = typing.get_type_hints(cls)
        notes = comments(cls)
        default = cls()
        for field in _keys(cls):
            tp = hints[field.name]
            value = "(section below)" if _section(tp) else f"`{_yaml(getattr(default, field.name))}`"
            out.append(f"| `{field.name}` | {kind(tp)} | {value} | {notes.get(field.name, '')} |")
        out.append("")
    return "\n".join(out)


def sections(cls: type, path: str) -> list[tuple[str, type]]:
    """(key path, dataclass) for `cls` and every section within it, depth first."""
    found = [(path, cls)]
    hints = typing.get_type_hints(cls)
    for field in _keys(cls):
        inner = _section(hints[field.name])
        if inner is not None:
            key = f"{path}.{field.name}" if path else field.name
            if get_origin(hints[field.name]) is dict:
                key += ".<name>"
            elif get_origin(hints[field.name]) is list:
                key += "[]"
            found += sections(inner, key)
    return found


def comments(cls: type) -> dict[str, str]:
    """Field name -> the comment beside it, after the comment lines just above it."""
    lines, _ = inspect.getsourcelines(cls)
    by_line: dict[int, str] = {}
    for token in tokenize.generate_tokens(io.StringIO("".join(lines)).readline):
        if token.type == tokenize.COMMENT:
            by_line[token.start[0] - 1] = token.string.lstrip("#").strip()
    notes: dict[str, str] = {}
    above: list[str] = []
    last = ""          # the field of the line before, while fields follow each other
    grouped = False    # `last` had comment lines above it and none beside it: they may be for the next ones too
    for number, line in enumerate(lines):
        if line.strip().startswith("#"):
            if line.startswith("     ") and last:    # indented past the fields: the line above's comment goes on
                notes[last] = f"{notes[last]} {by_line[number]}".strip()
            else:
                above.append(by_line[number])
            continue
        match = _FIELD.match(line)
        if not match:
            above, last, grouped = [], "", False
            continue
        text = " ".join([*above, by_line.get(number, "")]).strip()
        if not text and grouped:
            text = f"see `{last}`"
        else:
            grouped = bool(above) and number not in by_line
        notes[match.group(1)] = text.replace("|", "\\|")
        above, last = [], match.group(1)
    return notes


def kind(tp: Any) -> str:
    """A type as a reader of YAML knows it."""
    origin = get_origin(tp)
    if origin in (typing.Union, types.UnionType):
        return " or ".join(kind(a) for a in get_args(tp) if a is not type(None))
    if origin is Literal:
        return "one of " + ", ".join(f"`{a}`" for a in get_args(tp))
    if origin is list:
        return f"list of {kind(get_args(tp)[0])}"
    if origin is dict:
        return f"mapping of name to {kind(get_args(tp)[1])}"
    if dataclasses.is_dataclass(tp):
        return "section"
    return {bool: "true/false", int: "whole number", float: "number", str: "text", Path: "path"}[tp]


def _section(tp: Any) -> type | None:
    """The dataclass a key holds (itself, or as the items of a list or mapping), else None."""
    if dataclasses.is_dataclass(tp):
        return tp
    args = get_args(tp)
    if get_origin(tp) in (list, dict) and args and dataclasses.is_dataclass(args[-1]):
        return args[-1]
    return None


def _keys(cls: type) -> list[dataclasses.Field]:
    return [f for f in dataclasses.fields(cls) if not f.metadata.get("not_a_key")]


def _yaml(value: Any) -> str:
    """A default as written in YAML; the home folder as ~, so the page is the same on every machine."""
    if isinstance(value, Path):
        home = str(Path.home())
        text = str(value)
        if text == home or text.startswith(home + "/"):
            return "~" + text[len(home):]
        value = "" if text == "." else text
    if value == "":
        return '""'
    plain = dataclasses.asdict(value) if dataclasses.is_dataclass(value) else value
    return yaml.safe_dump(plain, default_flow_style=True, width=10_000).strip().removesuffix("...").strip()


if __name__ == "__main__":
    print(reference(), end="")
