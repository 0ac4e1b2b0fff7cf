from __future__ import annotations

import socket
from collections.abc import Iterator
from contextlib import closing
from pathlib import Path

import pytest

from tests.chia_rpc.fake_chia import SERVICES, FakeChia, recorded_routes, write_chia_root


def _free_port() -> int:
    with closing(socket.socket()) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture
def chia_root(tmp_path: Path) -> tuple[Path, dict[str, int]]:
    """A CHIA_ROOT (config.yaml, private CA and certificates) whose ports nothing listens on yet."""
    ports = {service: _free_port() for service in SERVICES}
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
