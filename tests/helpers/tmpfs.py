"""Small tmpfs mounts: disks a test can fill up, unmount or plug in again (mounting needs root)."""
from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest


def mount_tmpfs(folder: Path, size_mb: int = 16) -> None:
    """Mount a tmpfs of `size_mb` MB at `folder`. Skips where mounting is not allowed; under CI
    (CI=true) that skip is a failure."""
    folder.mkdir(parents=True, exist_ok=True)
    try:
        done = subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={size_mb}m", "tmpfs", str(folder)],
                              capture_output=True, text=True)
        problem = (done.stderr.strip() or f"exit {done.returncode}") if done.returncode else ""
    except FileNotFoundError:
        problem = "no mount command"
    if problem:
        reason = f"cannot mount a tmpfs ({problem}): this test needs a disk that fills up or vanishes"
        if os.environ.get("CI") == "true":
            pytest.fail(reason + " (CI=true: a skipped mount test counts as a failure)")
        pytest.skip(reason)


def mounted(folder: Path) -> bool:
    target = os.path.realpath(folder)
    with open("/proc/mounts", encoding="utf-8") as mounts:
        return any(line.split()[1] == target for line in mounts)


def unmount(folder: Path, check: bool = False) -> None:
    """`umount -l`: lazy, so it works while a process still has files open there."""
    subprocess.run(["umount", "-l", str(folder)], capture_output=True, check=check)
