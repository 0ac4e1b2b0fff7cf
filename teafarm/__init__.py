"""The shared piece: command line, typed configuration, logging and data paths."""
from __future__ import annotations

import functools


@functools.cache
def _version() -> str:
    from importlib.metadata import PackageNotFoundError, version   # ~30 ms: only when asked

    try:
        return version("teafarm")
    except PackageNotFoundError:  # running from a checkout without install
        return "0.0.0+checkout"


def __getattr__(name: str) -> str:
    """`teafarm.__version__`, looked up when first used: every `teafarm` command imports this
    package, and most never print the version."""
    if name == "__version__":
        return _version()
    raise AttributeError(f"module 'teafarm' has no attribute {name!r}")
