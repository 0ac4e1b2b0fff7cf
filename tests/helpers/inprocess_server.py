"""A farm's server (`teafarm server`'s ServerApp, with its enrolment listener) in the test's own
process, on a loop thread: real gRPC and HTTPS on loopback, without a process start per test
module; `cli` runs `teafarm ...` commands against its config in-process too."""
from __future__ import annotations

import contextlib
import io
from pathlib import Path

from monitor.enrol_token import EnrolToken, parse_token
from monitor.server.registry import registry_path
from teafarm.apps import server_app
from teafarm.cli import main
from teafarm.config import load_config
from teafarm.typed_config import ConfigError
from tests.helpers.backbone import query, write_config
from tests.helpers.loop_thread import LoopThread
from tests.helpers.ports import free_port


class InProcessServer:
    """A farm's server with its enrolment listener, running on a loop thread of the test."""

    def __init__(self, folder: Path) -> None:
        self.enrol_port = free_port()
        self.config = write_config(folder, free_port(), server={"enrol_listen": f"127.0.0.1:{self.enrol_port}"})
        self.settings = load_config(str(self.config))
        self.loop = LoopThread()
        self.app = server_app(self.settings)
        self.loop.run(self.app.start())
        self.target = f"127.0.0.1:{self.enrol_port}"

    @property
    def data_dir(self) -> Path:
        return self.settings.data_dir

    @property
    def registry(self) -> Path:
        return registry_path(self.settings.server_settings().database)

    def cli(self, *args: str) -> str:
        """`teafarm ARGS --config <this farm>` in this process; returns its stdout (a ConfigError: exit 2)."""
        out, err = io.StringIO(), io.StringIO()
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
            code = main([*args, "--config", str(self.config)])
        if code != 0:
            raise ConfigError(err.getvalue().strip())
        return out.getvalue()

    def token(self, name: str, *args: str) -> EnrolToken:
        return parse_token(self.cli("certs", "token", name, *args), "stdout")

    def token_row(self, token: EnrolToken) -> tuple:
        """(used_at, used_by_address, serial) of a token in the registry."""
        return query(self.registry, "SELECT used_at, used_by_address, serial FROM tokens WHERE id = ?", (token.token_id,))[0]

    def restart(self) -> None:
        self.loop.run(self.app.stop())
        self.app = server_app(self.settings)
        self.loop.run(self.app.start())

    def stop(self) -> None:
        self.loop.run(self.app.stop())
        self.loop.close()
