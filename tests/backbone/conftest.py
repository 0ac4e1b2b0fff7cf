from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.helpers.backbone import TeafarmProcess, free_port, wait_until, write_config


@dataclass
class Farm:
    folder: Path
    port: int
    config: Path

    @property
    def data_dir(self) -> Path:
        return self.folder / "data"

    @property
    def database(self) -> Path:
        return self.data_dir / "teafarm.db"

    @property
    def ca(self) -> Path:
        return self.data_dir / "certs" / "ca.crt"

    def start_server(self) -> TeafarmProcess:
        server = TeafarmProcess(["server", "--config", str(self.config)], self.folder / "server.log")
        wait_until(lambda: "listening on" in server.log_text() or server.proc.poll() is not None, 30, "server start")
        assert server.proc.poll() is None, server.log_text()
        return server

    def start_client(self) -> TeafarmProcess:
        return TeafarmProcess(["client", "--config", str(self.config)], self.folder / "client.log")


@pytest.fixture
def farm(tmp_path: Path) -> Farm:
    port = free_port()
    return Farm(tmp_path, port, write_config(tmp_path, port))


@pytest.fixture
def server(farm: Farm):
    process = farm.start_server()
    yield process
    process.stop()
