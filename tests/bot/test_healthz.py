"""/healthz: a running bot (BotApp in this process, on free ports) answers 200 "ok" on 127.0.0.1,
503 and why when it is not running, and the config keeps the endpoint on this machine."""
from __future__ import annotations

import logging
import socket
import urllib.error
import urllib.request
from contextlib import closing

import pytest

from bot.alerts.settings import AlertSettings
from bot.metrics.server import HealthServer
from bot.metrics.settings import HealthSettings
from bot.settings import BotSettings
from monitor.server.settings import ServerSettings
from teafarm.apps import bot_app
from teafarm.config import Config, validate
from teafarm.typed_config import ConfigError
from tests.bot.test_metrics import RunningBot
from tests.helpers.ports import free_port


def get(port: int, path: str = "/healthz") -> tuple[int, str]:
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}{path}", timeout=30) as response:
            return response.status, response.read().decode()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read().decode()


def bot_config(tmp_path, health: str) -> Config:
    return Config(data_dir=tmp_path / "data", server=ServerSettings(listen=f"127.0.0.1:{free_port()}"),
                  bot=BotSettings(alerts=AlertSettings(daily_summary=""), health=HealthSettings(listen=health)))


def test_a_running_bot_is_healthy_and_a_stopped_one_is_gone(tmp_path):
    port = free_port()
    running = RunningBot(bot_config(tmp_path, str(port)))
    try:
        assert get(port) == (200, "ok\n")
        assert get(port, "/metrics")[0] == 404
    finally:
        running.stop()
    with pytest.raises(urllib.error.URLError):
        get(port)


def test_a_bot_not_started_yet_answers_503_with_why(tmp_path):
    port = free_port()
    app = bot_app(bot_config(tmp_path, f"127.0.0.1:{port}"), transports=[])
    app.health.start()
    try:
        assert get(port) == (503, "not running (starting or stopping)\n")
    finally:
        app.health.stop()


def test_on_by_default_and_only_on_this_machine():
    assert Config().bot.health.address() == ("127.0.0.1", 9916)
    for local in ("", "9916", "127.0.0.1:9916", "[::1]:9916", "localhost:9916"):
        validate(Config(bot=BotSettings(health=HealthSettings(listen=local))))
    for wrong, problem in [("0.0.0.0:9916", "must listen on this machine only"),
                           ("10.0.0.7:9916", "must listen on this machine only"), ("99999", "the port must be")]:
        with pytest.raises(ConfigError, match=rf"^bot\.health\.listen: {problem}"):
            validate(Config(bot=BotSettings(health=HealthSettings(listen=wrong))))


def test_a_port_in_use_stops_the_bot_only_when_configured(caplog):
    with closing(socket.socket()) as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        with pytest.raises(ConfigError, match=rf"^bot\.health\.listen: cannot listen on 127\.0\.0\.1:{port}"):
            HealthServer(HealthSettings(listen=str(port)), lambda: None).start()
        # the default port taken (a second bot on this machine): a warning, and the bot goes on
        default = HealthServer(HealthSettings(), lambda: None)
        default.http.address = ("127.0.0.1", port)
        with caplog.at_level(logging.WARNING):
            default.start()
        assert default.port == 0
        assert f"cannot listen on 127.0.0.1:{port}" in caplog.text and "/healthz is off" in caplog.text


@pytest.fixture(scope="module")
def running(tmp_path_factory):
    """One bot for the hostile cases below: each must leave it answering."""
    port = free_port()
    bot = RunningBot(bot_config(tmp_path_factory.mktemp("hostile"), str(port)))
    bot.port = port
    yield bot
    bot.stop()


def raw(port: int, request: bytes) -> bytes:
    """Send `request` as it is and read the answer up to the server's close."""
    with socket.create_connection(("127.0.0.1", port), timeout=60) as connection:
        connection.sendall(request)
        return b"".join(iter(lambda: connection.recv(65536), b""))


def test_huge_requests_are_refused_and_the_bot_goes_on_answering(running, capsys):
    huge_header = b"GET /healthz HTTP/1.1\r\nX-Big: " + b"a" * 100_000 + b"\r\n\r\n"
    many_headers = b"GET /healthz HTTP/1.1\r\n" + b"".join(b"X-%d: 1\r\n" % n for n in range(200)) + b"\r\n"
    huge_line = b"GET /" + b"a" * 70_000 + b" HTTP/1.1\r\n\r\n"
    for request, status in [(huge_header, b"431"), (many_headers, b"431"), (huge_line, b"414")]:
        assert raw(running.port, request).split(b" ")[1] == status
        assert get(running.port) == (200, "ok\n")
    assert "Traceback" not in capsys.readouterr().err


def test_a_stalled_request_is_cut_and_others_are_answered_meanwhile(running, monkeypatch, capsys):
    from bot.metrics import server

    monkeypatch.setattr(server, "REQUEST_TIMEOUT", 1.0)
    with socket.create_connection(("127.0.0.1", running.port), timeout=60) as stalled:
        stalled.sendall(b"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n")     # and then nothing
        assert get(running.port) == (200, "ok\n")
        assert stalled.recv(1) == b""        # cut by the server (without a cut: this read times out)
    assert "Traceback" not in capsys.readouterr().err


def test_500_connections_at_once_are_each_answered(running, capsys):
    connections = [socket.create_connection(("127.0.0.1", running.port), timeout=60) for _ in range(500)]
    try:
        for connection in connections:
            connection.sendall(b"GET /healthz HTTP/1.0\r\n\r\n")
        answers = [b"".join(iter(lambda c=connection: c.recv(4096), b"")) for connection in connections]
    finally:
        for connection in connections:
            connection.close()
    assert all(answer.startswith(b"HTTP/1.0 200 OK") and answer.endswith(b"\r\n\r\nok\n") for answer in answers)
    assert get(running.port) == (200, "ok\n")
    assert "Traceback" not in capsys.readouterr().err
