"""Which files some process has open for writing (a plot still being written or copied in).

Linux: read /proc/<pid>/fd (readlink) and the flags in /proc/<pid>/fdinfo. As an unprivileged user
only one's own processes are visible, so run the copier as the user that runs the plotter (or root).
Elsewhere there is no portable way to know: `writers_known()` is False and the copier relies on the
size having been stable.
"""
from __future__ import annotations

import os
from pathlib import Path

PROC = Path("/proc")
O_ACCMODE = 0o3


def writers_known() -> bool:
    return (PROC / "self" / "fdinfo").is_dir()


def open_for_writing(paths: set[str]) -> set[str]:
    """The subset of `paths` (absolute, resolved) that any process has open in write or read-write mode."""
    found: set[str] = set()
    if not paths:
        return found
    for pid in _pids():
        fd_dir = PROC / pid / "fd"
        try:
            fds = os.listdir(fd_dir)
        except OSError:      # the process ended, or is not ours to look at
            continue
        for fd in fds:
            try:
                target = os.readlink(fd_dir / fd)
            except OSError:
                continue
            if target in paths and _writable(PROC / pid / "fdinfo" / fd):
                found.add(target)
    return found


def _pids() -> list[str]:
    try:
        return [name for name in os.listdir(PROC) if name.isdigit()]
    except OSError:
        return []


def _writable(fdinfo: Path) -> bool:
    try:
        text = fdinfo.read_text()
    except OSError:
        return False
    for line in text.splitlines():
        if line.startswith("flags:"):
            return int(line.split()[1], 8) & O_ACCMODE != os.O_RDONLY
    return False
