"""Where sources and targets overlap: the one check behind "a source folder is never a target" and
"a file is never compared with itself".

If a target leads back into a source (the same folder, a symlink or bind mount to it, a glob such as
`/mnt/*/plots` that also matches the plotter's `/mnt/ssd/plots`, one folder inside the other), the
plot "already at the target" is the source itself, and deleting the source deletes the only copy.
So: patterns are checked at start (`layout_problem`), folders on every re-read of the globs
(`folder_overlap`), and files by device + inode before anything is compared or deleted (`same_file`).
"""
from __future__ import annotations

import fnmatch
import glob
import os
from pathlib import Path


def same_file(a: os.stat_result, b: os.stat_result) -> bool:
    """Two stats of one file (whatever the paths: hard links, symlinks, bind mounts)."""
    return (a.st_dev, a.st_ino) == (b.st_dev, b.st_ino)


def same_file_at(a: Path, b: Path) -> bool:
    """Whether paths `a` and `b` lead to one file; False when either is missing."""
    try:
        return same_file(os.stat(a), os.stat(b))
    except OSError:
        return False


def folder_overlap(source: Path, target: Path) -> str | None:
    """How a target folder overlaps a source folder, as one phrase naming both; None when it does not."""
    real_source, real_target = os.path.realpath(source), os.path.realpath(target)
    if real_source == real_target or same_file_at(source, target):   # a bind mount has another path
        return f"target {target} and source {source} are the same folder"
    if _inside(real_target, real_source):
        return f"target {target} is inside source {source}"
    if _inside(real_source, real_target):
        return f"source {source} is inside target {target}"
    return None


def layout_problem(sources: list[str], targets: list[str]) -> str | None:
    """The first overlap between configured source and target patterns, as one line; None when none.
    Checks the folders the patterns name now (symlinks resolved) and, for a glob, every folder it
    could name later (a target glob that matches a source, a source glob that matches a target)."""
    source_paths = _paths(sources)
    target_paths = _paths(targets)
    for target_pattern, targets_now in target_paths:
        for source_pattern, sources_now in source_paths:
            for source in sources_now:
                for target in targets_now:
                    problem = folder_overlap(source, target)
                    if problem:
                        return problem + _from_patterns(source_pattern, target_pattern)
                if glob.has_magic(target_pattern) and _could_name(target_pattern, source):
                    return f"target pattern {target_pattern} matches source {source} (or a folder around or inside it)"
            if glob.has_magic(source_pattern) and not glob.has_magic(target_pattern):
                target = _absolute(target_pattern)
                if any(_could_name(source_pattern, path) for path in (target, os.path.realpath(target))):
                    return f"source pattern {source_pattern} matches target {target} (or a folder around or inside it)"
    return None


def _from_patterns(source_pattern: str, target_pattern: str) -> str:
    """' (source pattern X, target pattern Y)' for the globs among the two, so the line names what the user wrote."""
    named = [f"{kind} pattern {p}" for kind, p in (("source", source_pattern), ("target", target_pattern))
             if glob.has_magic(p)]
    return f" ({', '.join(named)})" if named else ""


def _paths(patterns: list[str]) -> list[tuple[str, list[Path]]]:
    """Each pattern with the folders it names now (a plain path even when missing)."""
    out = []
    for pattern in patterns:
        expanded = _absolute(pattern)
        if glob.has_magic(expanded):
            found = [Path(p) for p in sorted(glob.glob(expanded)) if os.path.isdir(p)]
        else:
            found = [Path(expanded)]
        out.append((expanded, found))
    return out


def _could_name(pattern: str, folder: Path) -> bool:
    """Whether glob `pattern` can match `folder`, a folder around it or one inside it (now or once it
    exists): the shorter of the two, part by part, matches the other. Tried for the path as written
    and with symlinks resolved."""
    pattern_parts = Path(pattern).parts
    for path in {os.path.abspath(folder), os.path.realpath(folder)}:
        parts = Path(path).parts
        common = min(len(parts), len(pattern_parts))
        if all(_part_matches(parts[i], pattern_parts[i]) for i in range(common)):
            return True
    return False


def _part_matches(name: str, pattern: str) -> bool:
    """One path part against one glob part, as glob does it (a leading dot is matched only by a dot)."""
    if name.startswith(".") and not pattern.startswith("."):
        return name == pattern
    return fnmatch.fnmatchcase(os.path.normcase(name), os.path.normcase(pattern))


def _inside(inner: str, outer: str) -> bool:
    try:
        return os.path.commonpath([inner, outer]) == outer
    except ValueError:   # different drives (Windows)
        return False


def _absolute(pattern: str) -> str:
    return os.path.abspath(os.path.expanduser(pattern))
