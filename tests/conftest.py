from __future__ import annotations

from pathlib import Path

import pytest

from tests.helpers.farm import Farm


@pytest.fixture
def farm(tmp_path: Path) -> Farm:
    return Farm.create(tmp_path)


@pytest.fixture
def server(farm: Farm):
    process = farm.start_server()
    yield process
    process.stop()
