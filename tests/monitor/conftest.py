from __future__ import annotations

import pytest

from tests.helpers.inprocess_server import InProcessServer


@pytest.fixture(scope="module")
def farm_server(tmp_path_factory):
    """A farm's server with its enrolment listener in this process (tests/helpers/inprocess_server.py),
    one per test module."""
    server = InProcessServer(tmp_path_factory.mktemp("farm-server"))
    yield server
    server.stop()
