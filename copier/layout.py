"""The folders of `copy.sources` and `copy.targets` as found at start: refuse an overlap (one line,
exit 2: never a traceback), and say when a folder is missing or a glob matches nothing (with `--once`
a source that names no folder is a mistake too: there is nothing to wait for)."""
from __future__ import annotations

import glob
import os

from copier.overlap import layout_problem
from copier.settings import CopierSettings
from teafarm.typed_config import ConfigError


def check_layout(settings: CopierSettings, once: bool) -> list[str]:
    """Raise ConfigError for a mistake; return the warnings to log."""
    problem = layout_problem(settings.sources, settings.targets)
    if problem:
        raise ConfigError(f"copy: {problem}; a source folder is never a target")
    warnings = []
    for pattern in settings.sources:
        missing = _names_nothing(pattern)
        if missing and once:
            raise ConfigError(f"copy.sources: {missing}")
        if missing:
            warnings.append(f"source {missing} (yet): waiting for it")
    for pattern in settings.targets:
        if glob.has_magic(pattern) and _names_nothing(pattern):
            warnings.append(f"target {_names_nothing(pattern)} (yet)")
    return warnings


def _names_nothing(pattern: str) -> str:
    """'pattern X matches no folder', 'X does not exist', or '' when it names a folder."""
    expanded = os.path.expanduser(pattern)
    if glob.has_magic(expanded):
        return "" if any(os.path.isdir(p) for p in glob.glob(expanded)) else f"pattern {pattern} matches no folder"
    if os.path.isdir(expanded):
        return ""
    return f"{pattern} is not a folder" if os.path.exists(expanded) else f"{pattern} does not exist"
