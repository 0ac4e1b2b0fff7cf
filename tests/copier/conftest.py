"""Fixtures for copier tests: small tmpfs disks and the copier as a real background process
(the helpers they use are in tests/helpers/copier.py and tests/helpers/tmpfs.py)."""
from __future__ import annotations

from pathlib import Path

import pytest

from tests.helpers.copier import CopierProcess
from tests.helpers.tmpfs import mount_tmpfs, mounted, unmount


@pytest.fixture
def tmpfs(tmp_path):
    """mount(name, size_mb) -> a fresh tmpfs folder (a disk that can fill up or vanish).
    Skips where mounting is not allowed; under CI (CI=true) that skip is a failure."""
    mounts: list[Path] = []

    def mount(name: str, size_mb: int) -> Path:
        folder = tmp_path / name
        folder.mkdir()
        mount_tmpfs(folder, size_mb)
        mounts.append(folder)
        return folder

    yield mount
    for folder in reversed(mounts):
        while mounted(folder):   # the test may have unmounted it already (umount -l)
            unmount(folder, check=True)


@pytest.fixture
def start_copier(tmp_path):
    started: list[CopierProcess] = []

    def start(config: Path) -> CopierProcess:
        copier = CopierProcess(config, tmp_path / f"copier-{len(started)}.log")
        started.append(copier)
        return copier

    yield start
    for copier in started:
        copier.close()
