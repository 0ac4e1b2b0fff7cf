"""The enrolment listener: HTTPS with server-only TLS on its own port (server.enrol_listen), so a new
machine can trade a token for its client certificate. The gRPC port keeps requiring a client
certificate; nothing here weakens it.

GET /ca    the farm CA certificate (public; the client checks it against the token's pin)
POST /enrol  {"token_id", "secret", "machine", "csr"} -> {"certificate"} or {"error": one line}

The request's key was made on the new machine and never leaves it: only its public key is taken
from the request, and the certificate is client-only, never a CA, named by the token (whatever the
request asked for). Each connection runs on a thread of its own, at most MAX_CONNECTIONS at once
(more are closed at once), and is cut after REQUEST_TIMEOUT in all, so neither a flood of
connections nor one that trickles its bytes (slowloris) can exhaust the server's threads or memory.
"""
from __future__ import annotations

import json
import logging
import socket
import sqlite3
import ssl
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

from cryptography import x509
from cryptography.exceptions import UnsupportedAlgorithm
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec, rsa

from monitor.certs import CertPair, serial_hex, sign
from monitor.enrol_token import DEFAULT_ENROL_PORT
from monitor.server.registry import Refused, Registry, key_id
from monitor.tls import split_target
from teafarm.typed_config import ConfigError

log = logging.getLogger(__name__)

MAX_BODY = 64 * 1024
REQUEST_TIMEOUT = 15.0       # seconds a connection may take in all: handshake, request and answer
MAX_CONNECTIONS = 16         # connections served at once; an enrolment takes milliseconds
FULL_WARNING_EVERY = 60.0    # seconds between two warnings that connections are being closed
CURVES = (ec.SECP256R1, ec.SECP384R1, ec.SECP521R1)          # what every TLS stack speaks
HASHES = (hashes.SHA256, hashes.SHA384, hashes.SHA512)


class EnrolmentListener:
    def __init__(self, listen: str, server: CertPair, ca: CertPair, registry: Path) -> None:
        self.listen = listen
        self.server = server
        self.ca = ca
        self.registry = registry
        self.port = 0
        self._http: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        host, port = split_target(self.listen)
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.minimum_version = ssl.TLSVersion.TLSv1_2
        context.load_cert_chain(str(self.server.certificate), str(self.server.key))
        handler = type("Handler", (_Handler,), {"listener": self})
        server_class = type("Server", (_Server,), {"address_family": _family(host)})
        try:
            self._http = server_class((host, port), handler)
        except OSError as exc:
            raise ConfigError(f"server.enrol_listen: cannot listen on {self.listen} ({exc.strerror})") from None
        # the handshake happens on the request's own thread (first read), not in the accept loop
        self._http.socket = context.wrap_socket(self._http.socket, server_side=True, do_handshake_on_connect=False)
        self.port = self._http.server_address[1]
        self._thread = threading.Thread(target=self._http.serve_forever, name="enrolment", daemon=True)
        self._thread.start()
        log.info("enrolment listener on %s:%d (HTTPS; `teafarm certs token NAME` makes a token)", host, self.port)

    def stop(self) -> None:
        if self._http is not None:
            self._http.shutdown()
            self._http.server_close()
            self._http = None

    def enrol(self, request: dict, address: str) -> str:
        """The certificate (PEM) for a request, or Refused with one line."""
        try:
            token_id, secret, machine = (str(request[k]) for k in ("token_id", "secret", "machine"))
            csr = x509.load_pem_x509_csr(str(request["csr"]).encode())
        except (KeyError, TypeError, ValueError):
            raise Refused("not an enrolment request (token_id, secret, machine and csr are needed)") from None
        if not (token_id.isascii() and secret.isascii()):    # a token is ASCII; a lone surrogate would not even hash
            raise Refused("unknown enrolment token (or a wrong secret)")
        _check_request(csr)
        public_key = csr.public_key()
        registry = Registry(self.registry)
        try:
            return registry.enrol(token_id, secret, machine, key_id(public_key), address,
                                  lambda name: sign(self.ca, public_key, name, [name], server=False))
        finally:
            registry.close()


def _check_request(csr: x509.CertificateSigningRequest) -> None:
    """Only keys every TLS stack accepts and nobody can break (the machine must connect with it),
    signed by that key with a hash nobody can forge."""
    try:
        key, digest = csr.public_key(), csr.signature_hash_algorithm
    except (UnsupportedAlgorithm, ValueError, TypeError):     # a key type, curve or hash unknown here
        key = digest = None
    if not (isinstance(key, ec.EllipticCurvePublicKey) and isinstance(key.curve, CURVES)
            or isinstance(key, rsa.RSAPublicKey) and key.key_size >= 2048):
        raise Refused("the certificate request's key must be EC on P-256, P-384 or P-521, or RSA of 2048 bits or more")
    if not isinstance(digest, HASHES):
        raise Refused("the certificate request must be signed with SHA-256, SHA-384 or SHA-512")
    if not csr.is_signature_valid:
        raise Refused("the certificate request's signature does not match its key")


class _Server(ThreadingHTTPServer):
    """At most MAX_CONNECTIONS connections at once, each cut after REQUEST_TIMEOUT in all: a socket
    timeout alone restarts with every byte received, so it does not stop a slow trickle."""
    daemon_threads = True
    request_queue_size = 64      # a burst of new machines waits in the kernel, not in SYN retries

    def __init__(self, *args, **kwargs) -> None:
        self._deadlines: dict[socket.socket, float] = {}
        self._lock = threading.Lock()
        self._warned_at = -FULL_WARNING_EVERY
        super().__init__(*args, **kwargs)

    def process_request(self, request, client_address) -> None:
        with self._lock:
            full = len(self._deadlines) >= MAX_CONNECTIONS
            if not full:
                self._deadlines[request] = time.monotonic() + REQUEST_TIMEOUT
        if full:
            if time.monotonic() - self._warned_at > FULL_WARNING_EVERY:   # not a line per connection of a flood
                self._warned_at = time.monotonic()
                log.warning("enrolment listener: %d connections at once, closing new ones until some end",
                            MAX_CONNECTIONS)
            self.shutdown_request(request)
        else:
            super().process_request(request, client_address)

    def shutdown_request(self, request) -> None:
        with self._lock:
            self._deadlines.pop(request, None)
        super().shutdown_request(request)

    def service_actions(self) -> None:
        """Called by serve_forever twice a second: cut the connections past their deadline (their
        thread's blocked read then ends)."""
        now = time.monotonic()
        with self._lock:
            overdue = [request for request, deadline in self._deadlines.items() if deadline < now]
        for request in overdue:
            try:    # the plain socket's shutdown: the SSL object stays with the thread reading it
                socket.socket.shutdown(request, socket.SHUT_RDWR)
            except OSError:
                pass

    def handle_error(self, request, client_address) -> None:   # a bug: into the log, not onto stderr
        log.exception("enrolment request from %s failed", client_address[0])


class _Handler(BaseHTTPRequestHandler):
    listener: EnrolmentListener
    timeout = REQUEST_TIMEOUT
    server_version = "teafarm-enrolment"
    sys_version = ""

    def do_GET(self) -> None:
        if self.path != "/ca":
            return self._reply(404, {"error": "unknown path"})
        body = self.listener.ca.certificate.read_bytes()
        self.send_response(200)
        self.send_header("Content-Type", "application/x-pem-file")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def do_POST(self) -> None:
        if self.path != "/enrol":
            return self._reply(404, {"error": "unknown path"})
        address = self.client_address[0]
        try:
            request = self._request()
            pem = self.listener.enrol(request, address)
        except Refused as exc:
            log.warning("refused an enrolment from %s: %s", address, exc)
            return self._reply(403, {"error": str(exc)})
        except (ConfigError, sqlite3.Error) as exc:     # the registry or the CA is unreadable here
            log.error("cannot enrol %s: %s", address, exc)
            return self._reply(503, {"error": "the server cannot enrol machines right now (see its log)"})
        cert = x509.load_pem_x509_certificate(pem.encode())
        log.info("enrolled machine %s from %s (certificate serial %s)", request["machine"], address,
                 serial_hex(cert.serial_number))
        self._reply(200, {"certificate": pem})

    def _request(self) -> dict:
        """The request's JSON object, read within MAX_BODY, or Refused with what is wrong with it."""
        if self.headers.get_content_type() != "application/json":
            raise Refused("the request must be sent as application/json")
        try:
            length = int(self.headers.get("Content-Length", "0"))
        except ValueError:
            length = 0
        if not 0 < length <= MAX_BODY:
            raise Refused(f"the request needs a Content-Length of at most {MAX_BODY} bytes")
        try:
            request = json.loads(self.rfile.read(length))
        except (ValueError, RecursionError):     # RecursionError: JSON nested thousands deep
            raise Refused("the request is not JSON") from None
        if not isinstance(request, dict):
            raise Refused("not an enrolment request")
        return request

    def _reply(self, status: int, body: dict) -> None:
        data = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def handle(self) -> None:
        try:
            super().handle()
        except (ssl.SSLError, OSError) as exc:    # a failed handshake, a peer gone: its own business
            log.debug("enrolment connection from %s: %s", self.client_address[0], exc)

    def log_message(self, format: str, *args) -> None:   # the access log goes to debug, not stderr
        log.debug("%s %s", self.client_address[0], format % args)


def _family(host: str) -> socket.AddressFamily:
    return socket.AF_INET6 if ":" in host else socket.AF_INET


def enrol_address(enrol_listen: str, grpc_listen: str) -> str | None:
    """Where the enrolment listener listens: "auto" is port 8442 on the gRPC port's host when that
    accepts other machines (a loopback-only server has none to enrol); "" is off."""
    if enrol_listen != "auto":
        return enrol_listen or None
    host = grpc_listen.rpartition(":")[0]
    if host.strip("[]") in ("127.0.0.1", "localhost", "::1"):
        return None
    return f"{host}:{DEFAULT_ENROL_PORT}"
