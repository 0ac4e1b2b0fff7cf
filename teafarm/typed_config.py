"""Build typed dataclasses from YAML mappings, and check them, with one-line errors that name the key path.

Section dataclasses live beside the code they configure (copier/settings.py, bot/settings.py, ...);
this module only knows how to fill them: unknown keys, wrong types and unset ${VARS} are errors,
and Path fields are resolved against the config file's folder, never the working directory.

Constraints are declared once, beside each field (`setting(default, check=...)`); `check_fields`
runs them all. A check returns the problem ("must be more than 0 seconds, got 0.0") or None; the
key path is added here. Checks that need a whole line of their own may raise ConfigError.
"""
from __future__ import annotations

import dataclasses
import math
import os
import re
import types
import typing
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any, Literal, get_args, get_origin
from urllib.parse import urlsplit


class ConfigError(Exception):
    """A user mistake in configuration: the message is the one line we show."""


Check = Callable[[Any], "str | None"]   # the problem with a value ("must be ...") or None


def setting(default: Any = dataclasses.MISSING, *, factory: Any = dataclasses.MISSING, check: Check | None = None,
            each: Check | None = None, keys: Check | None = None) -> Any:
    """A dataclass field with its constraints beside it: `check` the value, `each` item of a list
    or dict, `keys` of a dict."""
    metadata = {name: c for name, c in (("check", check), ("each", each), ("keys", keys)) if c is not None}
    return dataclasses.field(default=default, default_factory=factory, metadata=metadata)


NOT_A_KEY = {"not_a_key": True}   # field metadata: filled by the program, never from the file


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
    fields = {f.name: f for f in dataclasses.fields(cls) if not f.metadata.get("not_a_key")}
    values = {}
    for key, raw in data.items():
        path = f"{key_path}.{_key(key)}" if key_path else _key(key)
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
            raise ConfigError(f"{path}: must be one of {', '.join(map(str, choices))}, got {short_repr(raw)}")
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
        return {str(k): convert(item, v, f"{path}.{_key(k)}", base_dir) for k, v in raw.items()}
    if tp is bool:
        if not isinstance(raw, bool):
            raise ConfigError(f"{path}: expected true or false, got {short_repr(raw)}")
        return raw
    if tp is int:
        if isinstance(raw, str):
            raw = _number_from_env(raw, path, int)
        if isinstance(raw, bool) or not isinstance(raw, int):
            raise ConfigError(f"{path}: expected a whole number, got {short_repr(raw)}")
        return raw
    if tp is float:
        if isinstance(raw, str):
            raw = _number_from_env(raw, path, float)
        if isinstance(raw, bool) or not isinstance(raw, (int, float)):
            raise ConfigError(f"{path}: expected a number, got {short_repr(raw)}")
        try:
            return float(raw)
        except OverflowError:   # an int beyond any float: 1e400 written out
            raise ConfigError(f"{path}: number too large, got {short_repr(raw)}") from None
    if tp is str:
        if isinstance(raw, (dict, list)) or raw is None:
            raise ConfigError(f"{path}: expected text, got {_kind(raw)}")
        return _text(expand_env(str(raw), path), path)
    if tp is Path:
        if not isinstance(raw, str):
            raise ConfigError(f"{path}: expected a path, got {_kind(raw)}")
        return _resolve_path(_text(expand_env(raw, path), path), base_dir)
    raise TypeError(f"unsupported config type {tp!r} at {path}")  # a programming error, not a user one


def _text(text: str, path: str) -> str:
    """Text that every file name, URL and chat API can take: no NUL, valid Unicode."""
    if "\x00" in text:
        raise ConfigError(f"{path}: must not contain a NUL character")
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:   # "\ud800" in a double-quoted YAML string
        raise ConfigError(f"{path}: not valid text (it has a lone surrogate)") from None
    return text


def short_repr(value: Any) -> str:
    """A value for an error line: one line, short, and never an exception of its own (an int of
    5,000 digits has no repr)."""
    if isinstance(value, int) and not isinstance(value, bool) and value.bit_length() > 200:
        return f"a number of about {int(value.bit_length() * math.log10(2))} digits"
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


def _number_from_env(raw: str, path: str, kind: type):
    text = expand_env(raw, path)
    try:
        return kind(text)
    except ValueError:
        raise ConfigError(f"{path}: expected a number, got {short_repr(raw)}") from None


def _resolve_path(text: str, base_dir: Path) -> Path:
    if text == "":
        return Path("")
    path = Path(os.path.expanduser(text))
    return path if path.is_absolute() else (base_dir / path)


def _key(key: Any) -> str:
    """A key as it appears in a key path: itself, or its short repr when it would break the line."""
    return key if isinstance(key, str) and key.isprintable() and 0 < len(key) <= 60 else short_repr(key)


def _kind(value: Any) -> str:
    if value is None:
        return "nothing"
    return {dict: "a mapping", list: "a list", str: "text", bool: "true/false"}.get(type(value)) or short_repr(value)


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


# -- checks ---------------------------------------------------------------------------------------
YEAR = 365 * 86400       # the longest interval a setting may have: longer is a typo, and overflows timers


def check_fields(obj: Any, key_path: str = "", extra: Mapping[type, Mapping[str, Check]] | None = None) -> None:
    """Run the constraints declared beside each field of dataclass `obj` and of the sections in it
    (`extra`: checks for a dataclass's fields declared elsewhere); the first problem is raised as one
    ConfigError line naming its key path. Every float must be finite, whatever the field."""
    extra = extra or {}
    more = extra.get(type(obj), {})
    for f in dataclasses.fields(obj):
        if f.metadata.get("not_a_key"):
            continue
        value = getattr(obj, f.name)
        path = f"{key_path}.{f.name}" if key_path else f.name
        _run(f.metadata.get("check"), value, path)
        _run(more.get(f.name), value, path)
        if isinstance(value, dict):
            items = [(f"{path}.{_key(k)}", k, v) for k, v in value.items()]
        elif isinstance(value, list):
            items = [(f"{path}[{i}]", None, v) for i, v in enumerate(value)]
        else:
            items = [(path, None, value)] if dataclasses.is_dataclass(value) else []
        for item_path, key, item in items:
            if key is not None:
                _run(f.metadata.get("keys"), key, item_path)
            if item is not value:
                _run(f.metadata.get("each"), item, item_path)
            if dataclasses.is_dataclass(item):
                check_fields(item, item_path, extra)


def _run(check: Check | None, value: Any, path: str) -> None:
    if isinstance(value, float) and not math.isfinite(value):
        raise ConfigError(f"{path}: must be a finite number, got {value}")
    problem = check(value) if check is not None else None
    if problem:
        raise ConfigError(f"{path}: {problem}")


def seconds(zero: bool = False, most: float = YEAR) -> Check:
    """An interval in seconds: more than 0 (or 0 and more with `zero`), at most `most`."""
    def check(value: float) -> str | None:
        if value < 0 or (value == 0 and not zero):
            return f"must not be negative, got {short_repr(value)}" if zero else f"must be more than 0 seconds, got {short_repr(value)}"
        if value > most:
            return f"must be at most {_number(most)} seconds{' (a year)' if most == YEAR else ''}, got {short_repr(value)}"
        return None
    return check


def count(least: int = 0, most: int | float | None = None) -> Check:
    """A whole number (or an amount) from `least` to `most`."""
    def check(value: float) -> str | None:
        if value < least:
            return f"must not be negative, got {short_repr(value)}" if least == 0 else f"must be at least {least}, got {short_repr(value)}"
        if most is not None and value > most:
            return f"must be at most {_number(most)}, got {short_repr(value)}"
        return None
    return check


def _number(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else f"{value:g}"


def file_path(path: Path) -> str | None:
    """A file teafarm creates or reads: not a folder, and not below a file."""
    if str(path) in ("", "."):        # "": the default inside data_dir
        return None
    try:
        if path.is_dir():
            return f"{path} is a folder, expected a file"
        return _below_a_file(path)
    except OSError as exc:            # a name too long, a loop of links
        return f"{path}: {exc.strerror}"


def folder_path(path: Path) -> str | None:
    """A folder teafarm creates if need be: not a file, not below a file, and creatable."""
    if str(path) in ("", "."):
        return "must not be empty"
    try:
        if path.exists():
            return None if path.is_dir() else f"{path} is a file, expected a folder"
        problem = _below_a_file(path)
        if problem:
            return problem
        parent = next(p for p in path.parents if p.exists())
        if not os.access(parent, os.W_OK | os.X_OK):
            return f"cannot create {path}: {parent} is not writable"
        return None
    except OSError as exc:
        return f"{path}: {exc.strerror}"


def _below_a_file(path: Path) -> str | None:
    for parent in path.parents:
        if parent.exists():
            return None if parent.is_dir() else f"{parent} is a file, not a folder"
    return None


_HOST = re.compile(r"\[[0-9A-Za-z:.%]+\]|[A-Za-z0-9_.-]+")


def host_port(text: str) -> str | None:
    """host:port with a port from 1 to 65535 (gRPC would take `host` as port 443, and 99999 or 0
    as "any port"); an IPv6 address in brackets: [::1]:8443."""
    host, colon, port = text.rpartition(":")
    if not colon or not host or not port:
        return f"expected host:port (e.g. 0.0.0.0:8443), got {short_repr(text)}"
    if ":" in host and not host.startswith("["):
        return f"an IPv6 address needs brackets, e.g. [::1]:{port}, got {short_repr(text)}"
    if not _HOST.fullmatch(host):
        return f"{short_repr(host)} is not a host name or IP address"
    if not (port.isascii() and port.isdigit()) or not 1 <= int(port) <= 65535:
        return f"the port must be a number from 1 to 65535, got {short_repr(port)}"
    return None


def host_name(text: str) -> str | None:
    """A DNS name (wildcards allowed) or an IP address, as certificates name hosts."""
    import ipaddress

    try:
        ipaddress.ip_address(text)
        return None
    except ValueError:
        pass
    if 0 < len(text) <= 253 and re.fullmatch(r"[A-Za-z0-9*_-]+(\.[A-Za-z0-9*_-]+)*\.?", text):
        return None
    return f"{short_repr(text)} is not a host name or IP address"


def http_url(text: str) -> str | None:
    """"" (none) or an http(s) URL with a host."""
    if not text:
        return None
    try:
        parts = urlsplit(text)
        ok = parts.scheme in ("http", "https") and bool(parts.hostname) and text.isprintable() and " " not in text
        parts.port     # raises for a port out of range
    except ValueError:
        ok = False
    return None if ok else f"expected an http:// or https:// URL, got {short_repr(text)}"


def no_spaces(text: str) -> str | None:
    """A token: no spaces or control characters (one pasted with its line end). The line does not
    show it: it is a secret."""
    if any(c.isspace() or not c.isprintable() for c in text):
        return "must not contain spaces or control characters (pasted with a line end?)"
    return None
