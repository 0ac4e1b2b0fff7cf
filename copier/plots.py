"""Find plots in source folders and tell the finished ones from those still being written."""
from __future__ import annotations

import glob
import os
from dataclasses import dataclass
from pathlib import Path

from copier.open_files import open_for_writing, writers_known

PLOT_SUFFIXES = (".plot", ".plot2")   # never `.plot.tmp` or any other plotter temp file


@dataclass(frozen=True)
class Plot:
    path: Path
    size: int
    mtime: float


def expand_folders(patterns: list[str], keep_missing: bool) -> list[Path]:
    """Folders named by `patterns`; a glob pattern gives the folders that exist now, a plain folder
    is kept even when missing if `keep_missing` (a target that may be created)."""
    folders: list[Path] = []
    for pattern in patterns:
        pattern = os.path.expanduser(pattern)
        if glob.has_magic(pattern):
            folders.extend(Path(p) for p in sorted(glob.glob(pattern)) if os.path.isdir(p))
        elif keep_missing or os.path.isdir(pattern):
            folders.append(Path(pattern))
    unique: dict[str, Path] = {}   # one folder named twice (a symlink, two patterns) is one folder
    for folder in folders:
        unique.setdefault(os.path.realpath(folder), Path(os.path.abspath(folder)))
    return list(unique.values())


def find_plots(folders: list[Path]) -> list[Plot]:
    """Plot files in `folders`, oldest first."""
    plots = []
    for folder in folders:
        try:
            entries = list(os.scandir(folder))
        except OSError:
            continue
        for entry in entries:
            if not entry.name.endswith(PLOT_SUFFIXES):
                continue
            try:
                if not entry.is_file(follow_symlinks=False):
                    continue
                st = entry.stat(follow_symlinks=False)
            except OSError:
                continue
            if st.st_size > 0:   # an empty "plot" is a plotter that has not started writing
                plots.append(Plot(Path(entry.path), st.st_size, st.st_mtime))
    return sorted(plots, key=lambda p: (p.mtime, p.path.name))


def finished_plots(plots: list[Plot], now: float, stable_seconds: float,
                   unchanged_since: dict[Path, tuple[int, float, float]]) -> tuple[list[Plot], list[Plot]]:
    """(finished, still being written): not modified for `stable_seconds` (by its mtime, or, when the
    mtime is in the future because of a clock, by what we saw: `unchanged_since` remembers each plot's
    size and mtime and since when they hold) and, where the platform can tell, open for writing by no
    process."""
    for plot in plots:
        size, mtime, _ = unchanged_since.get(plot.path, (-1, -1.0, now))
        if (size, mtime) != (plot.size, plot.mtime):
            unchanged_since[plot.path] = (plot.size, plot.mtime, now)
    for path in set(unchanged_since) - {p.path for p in plots}:
        del unchanged_since[path]

    def quiet(plot: Plot) -> bool:
        if plot.mtime <= now:
            return now - plot.mtime >= stable_seconds
        return now - unchanged_since[plot.path][2] >= stable_seconds   # a clock ahead: trust what we saw

    stable = [p for p in plots if quiet(p)]
    busy = [p for p in plots if not quiet(p)]
    if writers_known() and stable:
        writing = open_for_writing({os.path.realpath(p.path) for p in stable})
        busy += [p for p in stable if os.path.realpath(p.path) in writing]
        stable = [p for p in stable if os.path.realpath(p.path) not in writing]
    return stable, busy
