"""The bot's HTTP endpoints, `/metrics` and `/healthz`: each is prometheus_client's threading WSGI
server on a thread of its own (HttpEndpoint). /metrics serves a registry of its own (no process-wide default registry: a second bot in one process,
or a test, gets its own figures). Whatever the scraper asks for, the answer is the classic text
format (bot.metrics.exposition), gzipped at level 1 when accepted: prometheus_client's own gzip
(level 9) takes 0.5 s on a 1,000-machine farm's 5 MiB, level 1 20 ms for 20 % more bytes.
/healthz answers 200 while the bot runs and its event loop answers, 503 otherwise (Docker's
HEALTHCHECK asks it).
"""
from __future__ import annotations

import gzip
import logging
import socket
import threading
from collections.abc import Callable
from pathlib import Path
from wsgiref.simple_server import WSGIRequestHandler, make_server

from prometheus_client import CollectorRegistry
from prometheus_client.exposition import ThreadingWSGIServer, gzip_accepted

from bot.metrics.collector import FarmCollector
from bot.metrics.exposition import CONTENT_TYPE, encode
from bot.metrics.settings import DEFAULT_HEALTH, HealthSettings, MetricsSettings
from teafarm.typed_config import ConfigError

log = logging.getLogger(__name__)

REQUEST_TIMEOUT = 10.0   # seconds a client may stay silent mid-request: a stalled one would hold its thread for ever
BACKLOG = 512            # connections waiting to be accepted: socketserver's 5 makes a burst wait for SYN retries


class _Quiet(WSGIRequestHandler):
    @property
    def timeout(self) -> float:      # socketserver sets it on each connection it accepts
        return REQUEST_TIMEOUT

    def log_message(self, format, *args) -> None:   # a scrape every 15 s is not news
        pass


def metrics_app(registry: CollectorRegistry):
    """A WSGI app: GET (any path, as prometheus_client's) -> every family of `registry`."""
    def answer(environ, start_response):
        if environ["REQUEST_METHOD"] not in ("GET", "HEAD"):
            start_response("405 Method Not Allowed", [("Allow", "GET, HEAD")])
            return [b""]
        body = encode(registry.collect())
        headers = [("Content-Type", CONTENT_TYPE)]
        if gzip_accepted(environ.get("HTTP_ACCEPT_ENCODING", "")):
            body = gzip.compress(body, compresslevel=1)
            headers.append(("Content-Encoding", "gzip"))
        start_response("200 OK", headers)
        return [body]
    return answer


class HttpEndpoint:
    """A WSGI app served on `address` (None: off) by a thread of its own; `key` names the config
    key in the one line a port in use gives."""

    def __init__(self, address: tuple[str, int] | None, app, key: str) -> None:
        self.address = address
        self.app = app
        self.key = key
        self.port = 0
        self._http: ThreadingWSGIServer | None = None
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        if self.address is None:
            return
        host, port = self.address

        class Server(ThreadingWSGIServer):
            address_family = socket.AF_INET6 if ":" in host else socket.AF_INET
            request_queue_size = BACKLOG

            def handle_error(self, request, client_address) -> None:
                # a request cut at REQUEST_TIMEOUT, a client gone mid-answer: not socketserver's traceback on stderr
                log.debug("%s: connection failed", client_address[0], exc_info=True)

        try:
            self._http = make_server(host, port, self.app, Server, handler_class=_Quiet)
        except OSError as exc:
            raise ConfigError(f"{self.key}: cannot listen on {host}:{port} ({exc.strerror or exc})") from None
        self.port = self._http.server_port
        self._thread = threading.Thread(target=self._http.serve_forever, name=f"http-{self.key}", daemon=True)
        self._thread.start()

    def url(self, path: str) -> str:
        host = self.address[0]
        return f"http://{f'[{host}]' if ':' in host else host}:{self.port}{path}"

    def stop(self) -> None:
        """Blocks up to half a second (the server's poll interval): call it off the event loop."""
        if self._http is not None:
            self._http.shutdown()
            self._http.server_close()
            self._thread.join(5)
            self._http = self._thread = None


class MetricsServer:
    def __init__(self, settings: MetricsSettings, database: Path, botdb: Path) -> None:
        self.collector = FarmCollector(database, botdb)
        registry = CollectorRegistry(auto_describe=False)   # collect() runs per scrape, never at register
        registry.register(self.collector)
        self.http = HttpEndpoint(settings.address(), metrics_app(registry), "bot.metrics.listen")

    @property
    def port(self) -> int:
        return self.http.port

    def start(self) -> None:
        """Listen (a no-op when `bot.metrics.listen` is off); the figures are read per scrape."""
        self.http.start()
        if self.http.port:
            log.info("Prometheus metrics on %s", self.http.url("/metrics"))

    def stop(self) -> None:
        self.http.stop()
        self.collector.close()


Probe = Callable[[], "str | None"]   # what is wrong with the bot ("starting"), or None when it is well


def health_app(probe: Probe):
    """A WSGI app: GET /healthz -> 200 "ok", or 503 and what is wrong; anything else 404."""
    def answer(environ, start_response):
        if environ.get("PATH_INFO") != "/healthz":
            start_response("404 Not Found", [("Content-Type", "text/plain")])
            return [b"not found: try /healthz\n"]
        problem = probe()
        start_response("503 Service Unavailable" if problem else "200 OK", [("Content-Type", "text/plain")])
        return [f"{problem or 'ok'}\n".encode()]
    return answer


class HealthServer:
    def __init__(self, settings: HealthSettings, probe: Probe) -> None:
        self.settings = settings
        self.http = HttpEndpoint(settings.address(), health_app(probe), "bot.health.listen")

    @property
    def port(self) -> int:
        return self.http.port

    def start(self) -> None:
        try:
            self.http.start()
        except ConfigError as exc:
            if self.settings.listen != DEFAULT_HEALTH:
                raise
            # a default must not stop a bot: a second bot on this machine (or a test) goes on without it
            log.warning("%s: /healthz is off (set bot.health.listen to another port, or \"\" to say so)", exc)
            return
        if self.http.port:
            log.info("health check on %s", self.http.url("/healthz"))

    def stop(self) -> None:
        self.http.stop()
