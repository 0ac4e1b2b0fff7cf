from __future__ import annotations

import pytest

from tests.helpers.farm import start_farm_server


@pytest.fixture
def farm_server(tmp_path):
    server = start_farm_server(tmp_path / "farm")
    yield server
    server.stop()
    assert "Traceback" not in server.process.log_text()
