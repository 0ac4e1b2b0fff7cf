from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.helpers.fake_chia import SERVICES, FakeChia, recorded_routes, write_chia_root
from tests.helpers.ports import free_port
from tests.helpers.real_farm import RealFarm, started_real_farm


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


@pytest.fixture(scope="package")
def real_farm(tmp_path_factory) -> Iterator[RealFarm]:
    """The real chia farm with a teafarm server and client (tests/helpers/real_farm.py), started once
    for every real-chia module of this package."""
    with started_real_farm(tmp_path_factory) as farm:
        yield farm
