from __future__ import annotations

import pytest

from tests.helpers.farm import start_farm_server


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    """One real farm server per test module: the alert tests fill it and read it through the engine."""
    server = start_farm_server(tmp_path_factory.mktemp("alerts") / "farm")
    yield server
    server.stop()
    assert "Traceback" not in server.process.log_text()
