"""gRPC credentials from the farm's certificates, the machine name and certificate a connection
proved, and why a TLS connection fails, in words (gRPC says only "unavailable")."""
from __future__ import annotations

import socket
import ssl
from collections.abc import Callable
from pathlib import Path

import grpc
from cryptography import x509
from cryptography.hazmat.primitives import serialization

from monitor.certs import CertPair
from teafarm.typed_config import ConfigError

# OpenSSL's verify codes for a certificate whose names do not match the host / IP address asked for
_NAME_MISMATCH = (62, 64)


def server_credentials(pair: CertPair, ca: Path) -> grpc.ServerCredentials:
    return grpc.ssl_server_credentials(
        [(_read(pair.key, _KEY), _read(pair.certificate, _CERTIFICATES))], root_certificates=_read(ca, _CERTIFICATES),
        require_client_auth=True)


def client_credentials(pair: CertPair, ca: Path) -> grpc.ChannelCredentials:
    return grpc.ssl_channel_credentials(root_certificates=_read(ca, _CERTIFICATES), private_key=_read(pair.key, _KEY),
                                        certificate_chain=_read(pair.certificate, _CERTIFICATES))


def peer_machine(context: grpc.aio.ServicerContext) -> str | None:
    """The common name of the verified client certificate (None without one)."""
    names = context.auth_context().get("x509_common_name") or []
    return names[0].decode() if names else None


def peer_certificate(context: grpc.aio.ServicerContext) -> x509.Certificate | None:
    """The verified client certificate of a connection (None without one)."""
    pems = context.auth_context().get("x509_pem_cert") or []
    return x509.load_pem_x509_certificate(pems[0]) if pems else None


def split_target(target: str) -> tuple[str, int]:
    """"host:port" (an IPv6 address in brackets) -> (host, port)."""
    host, _, port = target.rpartition(":")
    return host.strip("[]"), int(port)


def diagnose(target: str, pair: CertPair, ca: Path, timeout: float = 5.0) -> str | None:
    """Why mutual TLS with the server at `target` fails, as one line ("certificate not trusted: ...",
    "name mismatch: ..."); None when TLS works or the server cannot be reached at all."""
    host, port = split_target(target)
    # trust first: OpenSSL checks the name before the signatures, and a certificate of another
    # farm is the bigger problem
    for check_name in (False, True):
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
        context.check_hostname = check_name
        try:
            context.load_verify_locations(cafile=str(ca))
            context.load_cert_chain(str(pair.certificate), str(pair.key))
        except (OSError, ssl.SSLError) as exc:
            return f"certificate not usable: {pair.certificate} or {ca}: {exc}"
        context.set_alpn_protocols(["h2"])
        try:
            with socket.create_connection((host, port), timeout) as raw, \
                    context.wrap_socket(raw, server_hostname=host) as tls:
                # with TLS 1.3 the server's verdict on our certificate comes after the handshake: an
                # alert, or (gRPC) the connection closed without a byte
                if not tls.recv(1):
                    return _refused(pair, "the server closed the connection")
        except ssl.SSLCertVerificationError as exc:
            if exc.verify_code in _NAME_MISMATCH:
                names = ", ".join(_server_names(host, port, timeout)) or "other names"
                return (f"name mismatch: the server's certificate is for {names}, not {host} "
                        f"(on the server: teafarm certs server --names {host})")
            return f"certificate not trusted: the server's certificate is not signed by the farm CA in {ca} ({exc.verify_message})"
        except ssl.SSLError as exc:
            if "ALERT" in (exc.reason or ""):
                return _refused(pair, exc.reason.lower())
            return f"TLS failed: {exc.reason or exc}"
        except OSError:
            return None
    return None


def _refused(pair: CertPair, how: str) -> str:
    return (f"certificate not trusted: the server refused this machine's certificate {pair.certificate} "
            f"({how}; made by another farm CA? enrol the machine again)")


def _server_names(host: str, port: int, timeout: float) -> list[str]:
    """The subjectAltNames of the server's certificate, fetched without verifying it (for the message only)."""
    try:
        cert = x509.load_pem_x509_certificate(ssl.get_server_certificate((host, port), timeout=timeout).encode())
        return alt_names(cert)
    except (OSError, ValueError):
        return []


def alt_names(cert: x509.Certificate) -> list[str]:
    """The DNS names and IP addresses a certificate is for."""
    try:
        alt = cert.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    except x509.ExtensionNotFound:
        return []
    return [*alt.get_values_for_type(x509.DNSName), *map(str, alt.get_values_for_type(x509.IPAddress))]


_CERTIFICATES = ("PEM certificate", x509.load_pem_x509_certificates)
_KEY = ("unencrypted PEM private key", lambda data: serialization.load_pem_private_key(data, password=None))


def _read(path: Path, kind: tuple[str, Callable[[bytes], object]]) -> bytes:
    """The file, loaded once here: gRPC aborts the whole process (a C++ check, no exception) on an
    empty or malformed certificate or key."""
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise ConfigError(f"{path}: cannot read ({exc.strerror})") from None
    name, load = kind
    try:
        load(data)
    except (ValueError, TypeError):        # TypeError: a key with a passphrase
        raise ConfigError(f"{path}: not a {name}") from None
    return data
