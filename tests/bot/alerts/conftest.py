from __future__ import annotations

import pytest

from tests.helpers.alert_harness import Harness
from tests.helpers.farm import start_farm_server


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    """One real farm server per test module: the alert tests fill it and read it through the engine."""
    server = start_farm_server(tmp_path_factory.mktemp("alerts") / "farm")
    yield server
    server.stop()
    assert "Traceback" not in server.process.log_text()


@pytest.fixture
def harness(server, tmp_path):
    """make(**alert settings) -> a Harness (the real engine over the module's farm), closed afterwards."""
    made = []

    def make(**settings) -> Harness:
        h = Harness(server.database, tmp_path / f"h{len(made)}", **settings)
        made.append(h)
        return h

    yield make
    for h in made:
        h.close()
