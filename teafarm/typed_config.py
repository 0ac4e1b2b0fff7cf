"""Build typed dataclasses from YAML mappings, with one-line errors that name the key path.

Section dataclasses live beside the code they configure (copier/settings.py, bot/settings.py, ...);
this module only knows how to fill them: unknown keys, wrong types and unset ${VARS} are errors,
and Path fields are resolved against the config file's folder, never the working directory.
"""
from __future__ import annotations

import dataclasses
import os
import re
import types
import typing
from pathlib import Path
from typing import Any, Literal, get_args, get_origin


class ConfigError(Exception):
    """A user mistake in configuration: the message is the one line we show."""


_ENV_REF = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)\}")


def expand_env(text: str, key_path: str) -> str:
    def replace(match: re.Match) -> str:
        name = match.group(1)
        if name not in os.environ:
            raise ConfigError(f"{key_path}: environment variable {name} is not set")
        return os.environ[name]

    return _ENV_REF.sub(replace, text)


def build(cls: type, data: Any, key_path: str, base_dir: Path):
    """Return an instance of dataclass `cls` filled from mapping `data` (None: all defaults)."""
    if data is None:
        data = {}
    if not isinstance(data, dict):
        raise ConfigError(f"{key_path or 'config'}: expected a mapping, got {_kind(data)}")
    hints = typing.get_type_hints(cls)
    fields = {f.name: f for f in dataclasses.fields(cls)}
    values = {}
    for key, raw in data.items():
        path = f"{key_path}.{key}" if key_path else str(key)
        if key not in fields:
            known = ", ".join(sorted(fields))
            raise ConfigError(f"{path}: unknown key (known here: {known})")
        values[key] = convert(hints[key], raw, path, base_dir)
    return cls(**values)


def convert(tp: Any, raw: Any, path: str, base_dir: Path):
    origin = get_origin(tp)
    if origin in (typing.Union, types.UnionType):
        options = [a for a in get_args(tp) if a is not type(None)]
        if raw is None:
            return None
        return convert(options[0], raw, path, base_dir)
    if dataclasses.is_dataclass(tp):
        return build(tp, raw, path, base_dir)
    if origin is Literal:
        choices = get_args(tp)
        if raw not in choices:
            raise ConfigError(f"{path}: must be one of {', '.join(map(str, choices))}, got {raw!r}")
        return raw
    if origin is list:
        (item,) = get_args(tp)
        if not isinstance(raw, list):
            raise ConfigError(f"{path}: expected a list, got {_kind(raw)}")
        return [convert(item, v, f"{path}[{i}]", base_dir) for i, v in enumerate(raw)]
    if origin is dict:
        _, item = get_args(tp)
        if not isinstance(raw, dict):
            raise ConfigError(f"{path}: expected a mapping, got {_kind(raw)}")
        return {str(k): convert(item, v, f"{path}.{k}", base_dir) for k, v in raw.items()}
    if tp is bool:
        if not isinstance(raw, bool):
            raise ConfigError(f"{path}: expected true or false, got {raw!r}")
        return raw
    if tp is int:
        if isinstance(raw, str):
            raw = _number_from_env(raw, path, int)
        if isinstance(raw, bool) or not isinstance(raw, int):
            raise ConfigError(f"{path}: expected a whole number, got {raw!r}")
        return raw
    if tp is float:
        if isinstance(raw, str):
            raw = _number_from_env(raw, path, float)
        if isinstance(raw, bool) or not isinstance(raw, (int, float)):
            raise ConfigError(f"{path}: expected a number, got {raw!r}")
        return float(raw)
    if tp is str:
        if isinstance(raw, (dict, list)) or raw is None:
            raise ConfigError(f"{path}: expected text, got {_kind(raw)}")
        return expand_env(str(raw), path)
    if tp is Path:
        if not isinstance(raw, str):
            raise ConfigError(f"{path}: expected a path, got {_kind(raw)}")
        return _resolve_path(expand_env(raw, path), base_dir)
    raise TypeError(f"unsupported config type {tp!r} at {path}")  # a programming error, not a user one


def _number_from_env(raw: str, path: str, kind: type):
    text = expand_env(raw, path)
    try:
        return kind(text)
    except ValueError:
        raise ConfigError(f"{path}: expected a number, got {raw!r}") from None


def _resolve_path(text: str, base_dir: Path) -> Path:
    if text == "":
        return Path("")
    path = Path(os.path.expanduser(text))
    return path if path.is_absolute() else (base_dir / path)


def _kind(value: Any) -> str:
    if value is None:
        return "nothing"
    return {dict: "a mapping", list: "a list", str: "text", bool: "true/false"}.get(type(value), repr(value))


def to_plain(obj: Any) -> Any:
    """Dataclass -> plain YAML-able values (used by `teafarm config init` and tests)."""
    if dataclasses.is_dataclass(obj):
        return {f.name: to_plain(getattr(obj, f.name)) for f in dataclasses.fields(obj)}
    if isinstance(obj, Path):
        return str(obj)
    if isinstance(obj, list):
        return [to_plain(v) for v in obj]
    if isinstance(obj, dict):
        return {k: to_plain(v) for k, v in obj.items()}
    return obj
