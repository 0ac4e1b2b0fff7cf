"""The farm CA and its certificates: mutual TLS between every client and the server.

Each client certificate names one machine (its common name); the server files everything a
connection sends under that name. Private keys are written 0600.
"""
from __future__ import annotations

import datetime as dt
import hashlib
import ipaddress
import logging
import os
import re
import socket
from dataclasses import dataclass
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

from teafarm.typed_config import ConfigError

log = logging.getLogger(__name__)

VALID_MACHINE_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,62}$")
CA_YEARS = 20
CERT_YEARS = 10
# every server certificate keeps these, so the bot machine's own client (and `teafarm up`) always connects
LOCAL_NAMES = ("localhost", "127.0.0.1", "::1")


@dataclass(frozen=True)
class CertPair:
    certificate: Path
    key: Path

    def exists(self) -> bool:
        return self.certificate.is_file() and self.key.is_file()


def certs_dir(data_dir: Path) -> Path:
    return data_dir / "certs"


def ca_pair(data_dir: Path) -> CertPair:
    return CertPair(certs_dir(data_dir) / "ca.crt", certs_dir(data_dir) / "ca.key")


def check_machine_name(name: str) -> str:
    if not VALID_MACHINE_NAME.fullmatch(name):    # not match: its $ would let a trailing newline through
        raise ConfigError(f"machine name {name[:80]!r}: use letters, digits, '.', '_' or '-' (at most 63)")
    return name


def server_names(names: list[str]) -> list[str]:
    """`names` plus the local names and this host's name, each once, in that order."""
    return list(dict.fromkeys([*names, *LOCAL_NAMES, socket.gethostname()]))


def ca_fingerprint(ca_certificate: bytes) -> str:
    """SHA-256 of the CA certificate (PEM or DER) in hex: the pin of an enrolment token."""
    der = x509.load_pem_x509_certificate(ca_certificate).public_bytes(serialization.Encoding.DER) \
        if ca_certificate.lstrip().startswith(b"-----") else ca_certificate
    return hashlib.sha256(der).hexdigest()


def serial_hex(serial: int) -> str:
    return format(serial, "x")


def create_ca(pair: CertPair) -> None:
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "teafarm farm CA")])
    now = _now()
    cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
            .serial_number(x509.random_serial_number()).not_valid_before(now - dt.timedelta(days=1))
            .not_valid_after(now + dt.timedelta(days=365 * CA_YEARS))
            .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
            .add_extension(x509.KeyUsage(digital_signature=True, key_cert_sign=True, crl_sign=True, content_commitment=False,
                                         key_encipherment=False, data_encipherment=False, key_agreement=False,
                                         encipher_only=False, decipher_only=False), critical=True)
            .sign(key, hashes.SHA256()))
    _write(pair, cert, key)


def issue(ca: CertPair, pair: CertPair, common_name: str, names: list[str], server: bool) -> x509.Certificate:
    """Issue a certificate signed by the farm CA, with subjectAltNames for `names`; the key is made here."""
    key = ec.generate_private_key(ec.SECP256R1())
    cert = sign(ca, key.public_key(), common_name, names, server)
    _write(pair, cert, key)
    return cert


def sign(ca: CertPair, public_key, common_name: str, names: list[str], server: bool) -> x509.Certificate:
    """A certificate for `public_key` signed by the farm CA: for server or client use only, never a CA,
    with exactly these names (nothing a request asked for is copied)."""
    if not ca.exists():
        raise ConfigError(f"{ca.key}: no farm CA here (run `teafarm certs init` on the server machine)")
    ca_cert = x509.load_pem_x509_certificate(ca.certificate.read_bytes())
    ca_key = serialization.load_pem_private_key(ca.key.read_bytes(), password=None)
    now = _now()
    usage = ExtendedKeyUsageOID.SERVER_AUTH if server else ExtendedKeyUsageOID.CLIENT_AUTH
    return (x509.CertificateBuilder()
            .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common_name)]))
            .issuer_name(ca_cert.subject).public_key(public_key)
            .serial_number(x509.random_serial_number()).not_valid_before(now - dt.timedelta(days=1))
            .not_valid_after(now + dt.timedelta(days=365 * CERT_YEARS))
            .add_extension(x509.SubjectAlternativeName([_general_name(n) for n in names]), critical=False)
            .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
            .add_extension(x509.ExtendedKeyUsage([usage]), critical=False)
            .sign(ca_key, hashes.SHA256()))


def issue_server(data_dir: Path, pair: CertPair, names: list[str]) -> list[str]:
    """(Re)issue the server certificate under the farm CA in data_dir; returns the names it has."""
    names = server_names(names)
    issue(ca_pair(data_dir), pair, "teafarm server", names, server=True)
    return names


def ensure_server_certs(data_dir: Path, certificate: Path, key: Path, names: list[str]) -> CertPair:
    """First start of a server: create the farm CA and the server certificate if missing."""
    pair = CertPair(certificate, key)
    if pair.exists():
        return pair
    ca = ca_pair(data_dir)
    if not ca.exists():
        create_ca(ca)
        log.info("created the farm CA in %s (keep ca.key private: it signs every machine's certificate)", ca.key.parent)
    names = issue_server(data_dir, pair, names)
    log.info("created the server certificate %s for %s", certificate, ", ".join(names))
    return pair


def ensure_client_cert(data_dir: Path, certificate: Path, key: Path, machine: str) -> CertPair:
    """A single-machine setup (the CA key is here) gets its client certificate made on first start."""
    pair = CertPair(certificate, key)
    if pair.exists():
        return pair
    ca = ca_pair(data_dir)
    if not ca.key.is_file():
        raise ConfigError(
            f"{certificate}: no client certificate for machine {machine!r}; on the server run "
            f"`teafarm certs token {machine}` and start with `teafarm client --enrol-file FILE` holding that token")
    issue(ca, pair, check_machine_name(machine), [machine], server=False)
    log.info("created the client certificate %s for machine %s", certificate, machine)
    return pair


def _general_name(name: str) -> x509.GeneralName:
    try:
        return x509.IPAddress(ipaddress.ip_address(name))
    except ValueError:
        return x509.DNSName(name)


def _write(pair: CertPair, cert: x509.Certificate, key: ec.EllipticCurvePrivateKey) -> None:
    write_key(pair.key, key)
    write_private(pair.certificate, cert.public_bytes(serialization.Encoding.PEM))


def write_key(path: Path, key: ec.EllipticCurvePrivateKey) -> None:
    """The private key as unencrypted PEM, in a file that is 0600 from its creation."""
    write_private(path, key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                          serialization.NoEncryption()))


def write_private(path: Path, data: bytes) -> None:
    """Write `data` to a file that is 0600 from its creation (never world-readable, not even for a moment)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "wb") as handle:
        handle.write(data)
    os.chmod(path, 0o600)


def _now() -> dt.datetime:
    return dt.datetime.now(dt.timezone.utc)
