"""A new machine trades an enrolment token for its client certificate (`teafarm client --enrol-file`).

The secret is sent only to a server proven to be the farm's: the CA certificate it hands out must
match the token's pin, and then, with that CA as the only root, the server's certificate must be
for server use (serverAuth) and for the host name asked for. The key is made here, written 0600
before anything is sent (a retry after a lost reply uses the same key and gets the same
certificate), and never leaves the machine: the server gets a certificate request. A key file the
client did not make is never overwritten. The whole exchange has one deadline: a listener that
trickles bytes would reset a per-read timeout forever.
"""
from __future__ import annotations

import hmac
import http.client
import json
import logging
import socket
import ssl
import threading
import time
from contextlib import contextmanager
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

from monitor.certs import CertPair, ca_fingerprint, write_key, write_private
from monitor.enrol_token import DEFAULT_ENROL_PORT, EnrolToken
from monitor.tls import split_target
from teafarm.typed_config import ConfigError

log = logging.getLogger(__name__)

TIMEOUT = 15.0      # seconds for one connect or read
DEADLINE = 60.0     # seconds for the whole enrolment: connect, fetch the CA, post the request


def enrol_target(enrol_server: str, grpc_server: str) -> str:
    """client.enrol_server, or the host of client.server on the enrolment port."""
    return enrol_server or f"{grpc_server.rpartition(':')[0]}:{DEFAULT_ENROL_PORT}"


def enrol(token: EnrolToken, target: str, machine: str, pair: CertPair, ca: Path) -> x509.Certificate:
    """Enrol `machine` at `target` (host:port); writes its certificate and key (0600) and the farm CA."""
    host, port = split_target(target)
    where = f"enrolment at {target}"
    earlier = _earlier_key(pair.key)      # before any network: a key file of someone else's stops us here
    deadline = _Deadline(DEADLINE, where)
    ca_pem = _fetch_ca(host, port, where, deadline)
    if not hmac.compare_digest(ca_fingerprint(ca_pem), token.pin):
        raise ConfigError(f"{where}: the server's farm CA does not match the token's pin (another server, "
                          "or a token of another farm): nothing was sent")
    key = earlier or _new_key(pair.key)
    connection = _verified_connection(host, port, ca_pem, where, deadline)
    csr = (x509.CertificateSigningRequestBuilder()
           .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, machine)])).sign(key, hashes.SHA256()))
    request = {"token_id": token.token_id, "secret": token.secret, "machine": machine,
               "csr": csr.public_bytes(serialization.Encoding.PEM).decode()}
    status, answer = _post(connection, request, where, deadline)
    if status != 200:
        raise ConfigError(f"{where}: refused: {answer.get('error', f'HTTP {status}')}")
    cert = _checked_certificate(answer.get("certificate", ""), key, ca_pem, machine, where)
    write_private(ca, ca_pem)
    write_private(pair.certificate, cert.public_bytes(serialization.Encoding.PEM))
    return cert


class _Deadline:
    """One clock for the whole enrolment. When it runs out, a watcher thread shuts the socket of the
    step in progress, which wakes a read that is blocked (or fed a byte at a time)."""

    def __init__(self, seconds: float, where: str):
        self.seconds, self.where = seconds, where
        self.end = time.monotonic() + seconds
        self.passed = False

    def timeout(self) -> float:
        """The socket timeout of one step: never beyond the deadline."""
        left = self.end - time.monotonic()
        if left <= 0:
            raise self.error()
        return min(TIMEOUT, left)

    def error(self) -> ConfigError:
        return ConfigError(f"{self.where}: the enrolment listener did not finish within {self.seconds:g} s "
                           "(stalled, or not a teafarm server); check client.enrol_server and start again")

    @contextmanager
    def guard(self, connection: http.client.HTTPConnection):
        """Run one step on `connection`; past the deadline the connection is cut and the step fails with `error`."""
        done = threading.Event()
        watcher = threading.Thread(target=self._watch, args=(connection, done), daemon=True)
        watcher.start()
        try:
            yield
        except Exception:
            if not self.passed:
                raise
        finally:
            done.set()
            watcher.join()
        if self.passed:      # failed, or ended as its socket was cut: its answer may be cut short
            connection.close()
            raise self.error()

    def _watch(self, connection: http.client.HTTPConnection, done: threading.Event) -> None:
        if done.wait(self.end - time.monotonic()):
            return
        self.passed = True
        while True:      # again until the step gives up: a socket still being connected at the first cut
            sock = connection.sock
            if sock is not None:
                try:     # the plain socket's shutdown: ssl.SSLSocket.shutdown drops its TLS state under the reader
                    socket.socket.shutdown(sock, socket.SHUT_RDWR)
                except OSError:
                    pass
            if done.wait(0.1):
                return


def _fetch_ca(host: str, port: int, where: str, deadline: _Deadline) -> bytes:
    """The CA certificate the server hands out, unverified: it is checked against the pin, nothing secret is sent."""
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    context.check_hostname = False
    context.verify_mode = ssl.CERT_NONE
    connection = http.client.HTTPSConnection(host, port, context=context, timeout=deadline.timeout())
    try:
        with deadline.guard(connection):
            connection.request("GET", "/ca")
            response = connection.getresponse()
            body = response.read(64 * 1024)
    except (OSError, http.client.HTTPException) as exc:
        raise ConfigError(f"{where}: cannot reach the enrolment listener ({exc}); is server.enrol_listen on "
                          "and its port open?") from None
    finally:
        connection.close()
    if response.status != 200 or not body.startswith(b"-----BEGIN CERTIFICATE-----"):
        raise ConfigError(f"{where}: not a teafarm enrolment listener (GET /ca answered HTTP {response.status})")
    return body


def _verified_connection(host: str, port: int, ca_pem: bytes, where: str,
                         deadline: _Deadline) -> http.client.HTTPSConnection:
    """A connection whose server proved a certificate of the pinned CA, for server use and this host name."""
    context = ssl.create_default_context(cadata=ca_pem.decode())    # the pinned CA is the only root
    connection = http.client.HTTPSConnection(host, port, context=context, timeout=deadline.timeout())
    try:
        with deadline.guard(connection):
            connection.connect()
    except ssl.SSLCertVerificationError as exc:
        connection.close()
        raise ConfigError(f"{where}: the server's certificate is not acceptable ({exc.verify_message}): "
                          "nothing was sent") from None
    except (OSError, ssl.SSLError) as exc:
        connection.close()
        raise ConfigError(f"{where}: TLS failed ({exc}): nothing was sent") from None
    peer = x509.load_der_x509_certificate(connection.sock.getpeercert(binary_form=True))
    try:
        usages = peer.extensions.get_extension_for_class(x509.ExtendedKeyUsage).value
    except x509.ExtensionNotFound:
        usages = []
    if ExtendedKeyUsageOID.SERVER_AUTH not in usages:
        connection.close()
        raise ConfigError(f"{where}: the server's certificate is not for server use (a machine's certificate?): "
                          "nothing was sent")
    return connection


def _post(connection: http.client.HTTPSConnection, request: dict, where: str,
          deadline: _Deadline) -> tuple[int, dict]:
    body = json.dumps(request).encode()
    try:
        with deadline.guard(connection):
            connection.request("POST", "/enrol", body, {"Content-Type": "application/json"})
            response = connection.getresponse()
            answer = json.loads(response.read(256 * 1024) or b"{}")
    except (OSError, http.client.HTTPException, ValueError) as exc:
        raise ConfigError(f"{where}: no answer ({exc}); start again: the same key gets the same certificate") from None
    finally:
        connection.close()
    return response.status, answer if isinstance(answer, dict) else {}


def _earlier_key(path: Path) -> ec.EllipticCurvePrivateKey | None:
    """The key of an earlier attempt whose answer was lost, None if there is no key file. Any other
    file there (an RSA key put by hand, garbage) is not ours to overwrite."""
    if not path.exists():
        return None
    try:
        key = serialization.load_pem_private_key(path.read_bytes(), password=None)
    except (OSError, ValueError, TypeError) as exc:       # TypeError: a key with a passphrase
        key, why = None, getattr(exc, "strerror", None) or "not an unencrypted PEM private key"
    else:
        why = f"{type(key).__name__.removesuffix('PrivateKey')} key; teafarm makes EC keys"
    if isinstance(key, ec.EllipticCurvePrivateKey):
        return key
    raise ConfigError(f"{path}: this key file was not made by teafarm ({why}) and has no certificate: "
                      "move it away or delete it, then enrol again (nothing was sent)")


def _new_key(path: Path) -> ec.EllipticCurvePrivateKey:
    """A new key, written 0600 before it is used."""
    key = ec.generate_private_key(ec.SECP256R1())
    write_key(path, key)
    return key


def _checked_certificate(pem: str, key: ec.EllipticCurvePrivateKey, ca_pem: bytes, machine: str,
                         where: str) -> x509.Certificate:
    """The answer is a certificate of the pinned CA, for our key and this machine."""
    try:
        cert = x509.load_pem_x509_certificate(pem.encode())
        cert.verify_directly_issued_by(x509.load_pem_x509_certificate(ca_pem))
    except (ValueError, TypeError) as exc:
        raise ConfigError(f"{where}: the answer is not a certificate of the farm CA ({exc})") from None
    names = [a.value for a in cert.subject.get_attributes_for_oid(NameOID.COMMON_NAME)]
    if cert.public_key() != key.public_key() or names != [machine]:
        raise ConfigError(f"{where}: the answer is a certificate for another key or machine ({', '.join(map(str, names))})")
    return cert
