"""The `/metrics` HTTP endpoint: prometheus_client's threading WSGI server, on a thread of its
own, over a registry of its own (no process-wide default registry: a second bot in one process,
or a test, gets its own figures). Whatever the scraper asks for, the answer is the classic text
format (bot.metrics.exposition), gzipped at level 1 when accepted: prometheus_client's own gzip
(level 9) takes 0.5 s on a 1,000-machine farm's 5 MiB, level 1 20 ms for 20 % more bytes.
"""
from __future__ import annotations

import gzip
import logging
import socket
import threading
from pathlib import Path
from wsgiref.simple_server import WSGIRequestHandler, make_server

from prometheus_client import CollectorRegistry
from prometheus_client.exposition import ThreadingWSGIServer, gzip_accepted

from bot.metrics.collector import FarmCollector
from bot.metrics.exposition import CONTENT_TYPE, encode
from bot.metrics.settings import MetricsSettings
from teafarm.typed_config import ConfigError

log = logging.getLogger(__name__)


class _Quiet(WSGIRequestHandler):
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


class MetricsServer:
    def __init__(self, settings: MetricsSettings, database: Path, botdb: Path) -> None:
        self.address = settings.address()
        self.collector = FarmCollector(database, botdb)
        self.port = 0
        self._http: ThreadingWSGIServer | None = None
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        """Listen (a no-op when `bot.metrics.listen` is off); the figures are read per scrape."""
        if self.address is None:
            return
        host, port = self.address
        registry = CollectorRegistry(auto_describe=False)   # collect() runs per scrape, never at register

        class Server(ThreadingWSGIServer):
            address_family = socket.AF_INET6 if ":" in host else socket.AF_INET

        registry.register(self.collector)
        try:
            self._http = make_server(host, port, metrics_app(registry),
                                     Server, handler_class=_Quiet)
        except OSError as exc:
            raise ConfigError(f"bot.metrics.listen: cannot listen on {host}:{port} ({exc.strerror or exc})") from None
        self.port = self._http.server_port
        self._thread = threading.Thread(target=self._http.serve_forever, name="metrics-http", daemon=True)
        self._thread.start()
        log.info("Prometheus metrics on http://%s:%d/metrics", f"[{host}]" if ":" in host else host, self.port)

    def stop(self) -> None:
        """Blocks up to half a second (the server's poll interval): call it off the event loop."""
        if self._http is not None:
            self._http.shutdown()
            self._http.server_close()
            self._thread.join(5)
            self._http = self._thread = None
        self.collector.close()
