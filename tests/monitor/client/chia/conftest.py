from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.helpers.fake_chia import SERVICES, FakeChia, recorded_routes, write_chia_root
from tests.helpers.ports import free_port


@pytest.fixture
def chia_root(tmp_path: Path) -> tuple[Path, dict[str, int]]:
    """A CHIA_ROOT (config.yaml, private CA and certificates) whose ports nothing listens on yet."""
    ports = {service: free_port() for service in SERVICES}
    root = tmp_path / "chia-root"
    write_chia_root(root, ports)
    return root, ports


@pytest.fixture
def fake_chia(chia_root) -> Iterator[FakeChia]:
    """All chia services answering with recorded 2.7.5 payloads (not started: call .start())."""
    root, ports = chia_root
    fake = FakeChia(root, recorded_routes(), ports)
    yield fake
    fake.stop()
