"""The farm's certificate registry: enrolment tokens, the client certificates issued or seen, and
which of them are revoked. One sqlite file beside the farm database, 0600, shared by `teafarm certs`
(token, revoke, list) and the running server (enrolment, the check at every stream start).

A token's secret is never stored, only its SHA-256; a token is consumed by one UPDATE that changes
exactly one row, so of two uses at the same moment exactly one wins.
"""
from __future__ import annotations

import hashlib
import hmac
import sqlite3
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import serialization

from monitor.certs import serial_hex
from monitor.sqlite_tx import create_private, file_identity, transaction
from teafarm.typed_config import ConfigError

SCHEMA = """
CREATE TABLE IF NOT EXISTS tokens (
    id TEXT PRIMARY KEY, secret_sha256 BLOB NOT NULL, name TEXT NOT NULL, created_at REAL NOT NULL,
    expires_at REAL NOT NULL, replace_old INTEGER NOT NULL,
    used_at REAL, used_by_key TEXT, used_by_address TEXT, serial TEXT, certificate TEXT);
CREATE TABLE IF NOT EXISTS certificates (
    serial TEXT PRIMARY KEY, name TEXT NOT NULL, not_after REAL NOT NULL,
    source TEXT NOT NULL,                       -- issued (certs client), enrolled (a token), seen (at a stream start)
    first_seen REAL, last_seen REAL, last_address TEXT, revoked_at REAL);
CREATE INDEX IF NOT EXISTS certificates_by_name ON certificates (name);
"""


class Refused(Exception):
    """An enrolment the server refuses: the one line the new machine is told."""


@dataclass(frozen=True)
class CertificateRow:
    serial: str
    name: str
    not_after: float
    source: str
    last_seen: float | None
    revoked_at: float | None


def registry_path(database: Path) -> Path:
    """Beside the farm database (like bot.db): the bot's /machines finds it from there."""
    return database.with_name("certificates.db")


def key_id(public_key) -> str:
    """SHA-256 of a public key: how a retry with the same key is recognised."""
    der = public_key.public_bytes(serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)
    return hashlib.sha256(der).hexdigest()


def _serial_readings(text: str) -> tuple[str, str]:
    """A serial as `certs list` and openssl print it (hex; colons, 0x or leading zeros allowed) and as
    Python prints it (decimal): both readings are tried, since a decimal reads as hex too."""
    text = text.strip().lower().replace(":", "").removeprefix("0x")
    hexed = text.lstrip("0") or "0"
    return hexed, serial_hex(int(text)) if text.isdigit() else hexed


def _secret_hash(secret: str) -> bytes:
    return hashlib.sha256(secret.encode()).digest()


class Registry:
    def __init__(self, path: Path, clock: Callable[[], float] = time.time) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        create_private(path)     # 0600: sqlite gives its journal the database's mode
        self.path = path
        self.clock = clock
        try:
            self._conn = sqlite3.connect(path, timeout=30, isolation_level=None, check_same_thread=False)
            # a rollback journal, not WAL: WAL's -wal and -shm files outlive a deleted certificates.db,
            # and a new file at the path would take up the old one's pages (see restored())
            self._conn.execute("PRAGMA journal_mode=DELETE")
            self._conn.executescript(SCHEMA)
        except sqlite3.Error as exc:
            raise ConfigError(f"{path}: cannot open the certificate registry ({exc})") from None
        self._file = file_identity(path)

    def close(self) -> None:
        self._conn.close()

    def moved(self) -> bool:
        """The file at the path is no longer the one this connection has open: deleted or replaced."""
        return file_identity(self.path) != self._file

    def restored(self) -> Registry:
        """After moved(): a registry on the file now at the path (a new one if there is none) that holds
        everything this one held too, so no revocation or used token is lost. Closes this one, unless
        the file at the path cannot be opened (ConfigError): then this one stays in use."""
        fresh = Registry(self.path, self.clock)
        tables = {table: self._conn.execute(f"SELECT * FROM {table}").fetchall() for table in ("tokens", "certificates")}
        self.close()
        with transaction(fresh._conn):
            for table, rows in tables.items():
                for row in rows:
                    fresh._conn.execute(f"INSERT OR IGNORE INTO {table} VALUES ({', '.join('?' * len(row))})", row)
            # a certificate the file at the path also knows stays revoked if either says so
            fresh._conn.executemany("UPDATE certificates SET revoked_at = ? WHERE serial = ? AND revoked_at IS NULL",
                                    [(row[-1], row[0]) for row in tables["certificates"] if row[-1] is not None])
        return fresh

    # ---- tokens ----

    def add_token(self, token_id: str, secret: str, name: str, ttl: float, replace: bool) -> float:
        """Store a new token for machine `name`; returns its expiry. A name with a valid certificate
        needs `replace` (its certificates are revoked when the token is used)."""
        valid = self.valid_certificates(name)
        if valid and not replace:
            raise ConfigError(f"{name} has a valid certificate (serial {valid[0].serial}): use --replace to enrol it again "
                              "(its old certificate is revoked when the new token is used)")
        now = self.clock()
        self._conn.execute("INSERT INTO tokens (id, secret_sha256, name, created_at, expires_at, replace_old) "
                           "VALUES (?, ?, ?, ?, ?, ?)", (token_id, _secret_hash(secret), name, now, now + ttl, int(replace)))
        return now + ttl

    def enrol(self, token_id: str, secret: str, machine: str, key: str, address: str,
              make_certificate: Callable[[str], x509.Certificate]) -> str:
        """Consume the token for the request with public key `key` (key_id) from `address`; returns
        the certificate (PEM) that `make_certificate(name)` made. A retry with the same key after a
        lost reply gets the same certificate; every other use of a used or expired token is Refused."""
        row = self._conn.execute("SELECT secret_sha256, name, expires_at, replace_old, used_at, used_by_key, certificate "
                                 "FROM tokens WHERE id = ?", (token_id,)).fetchone()
        # constant-time compare: the time taken says nothing about how much of the secret was right
        if row is None or not hmac.compare_digest(row[0], _secret_hash(secret)):
            raise Refused("unknown enrolment token (or a wrong secret)")
        _, name, expires_at, replace_old, used_at, used_by_key, certificate = row
        if used_at is not None:
            if used_by_key == key and certificate:
                return certificate
            raise Refused(f"this enrolment token was used already, at {_when(used_at)}: ask for a new one "
                          f"(teafarm certs token {name} --replace)")
        now = self.clock()
        if expires_at <= now:
            raise Refused(f"this enrolment token expired at {_when(expires_at)}: ask for a new one (teafarm certs token {name})")
        if machine != name:
            raise Refused(f"this enrolment token is for machine {name!r}, not {machine!r} (set client.machine_name: {name})")
        cert = make_certificate(name)
        pem = cert.public_bytes(serialization.Encoding.PEM).decode()
        serial = serial_hex(cert.serial_number)
        with transaction(self._conn):
            won = self._conn.execute(
                "UPDATE tokens SET used_at = ?, used_by_key = ?, used_by_address = ?, serial = ?, certificate = ? "
                "WHERE id = ? AND used_at IS NULL AND expires_at > ?",
                (now, key, address, serial, pem, token_id, now)).rowcount == 1
            # two tokens made for NAME before either was used: the second must not make a second machine
            # (raising rolls the use back: the token stays unused)
            if won and not replace_old and self.valid_certificates(name):
                raise Refused(f"machine {name} got a certificate after this token was made: ask for a new one "
                              f"(teafarm certs token {name} --replace)")
            if won:
                if replace_old:
                    self._conn.execute("UPDATE certificates SET revoked_at = ? WHERE name = ? AND revoked_at IS NULL",
                                       (now, name))
                self._insert_certificate(serial, name, cert, "enrolled")
        if not won:      # another use got there first: a retry with this key gets its certificate, others are refused
            return self.enrol(token_id, secret, machine, key, address, make_certificate)
        return pem

    # ---- certificates ----

    def record_issued(self, cert: x509.Certificate, name: str) -> None:
        self._insert_certificate(serial_hex(cert.serial_number), name, cert, "issued")

    def _insert_certificate(self, serial: str, name: str, cert: x509.Certificate, source: str) -> None:
        self._conn.execute("INSERT OR IGNORE INTO certificates (serial, name, not_after, source) VALUES (?, ?, ?, ?)",
                           (serial, name, cert.not_valid_after_utc.timestamp(), source))

    def seen(self, cert: x509.Certificate, name: str, address: str) -> float | None:
        """A stream started with this certificate: record it (certificates copied by hand become
        revocable too); returns when it was revoked, None if it is not."""
        serial, now = serial_hex(cert.serial_number), self.clock()
        try:
            with transaction(self._conn):
                self._insert_certificate(serial, name, cert, "seen")
                self._conn.execute("UPDATE certificates SET first_seen = coalesce(first_seen, ?), last_seen = ?, "
                                   "last_address = ? WHERE serial = ?", (now, now, address, serial))
        except sqlite3.OperationalError:    # the file was deleted or replaced (sqlite refuses to write it): still read it
            if not self.moved():
                raise
        row = self._conn.execute("SELECT revoked_at FROM certificates WHERE serial = ?", (serial,)).fetchone()
        return row[0] if row else None

    def revoke(self, name_or_serial: str) -> list[CertificateRow]:
        """Revoke every certificate of machine NAME, or the one with SERIAL; returns those newly revoked."""
        target = (name_or_serial, *_serial_readings(name_or_serial))
        with transaction(self._conn):
            rows = self._rows("WHERE (name = ? OR serial IN (?, ?)) AND revoked_at IS NULL", target)
            if not rows and not self._rows("WHERE name = ? OR serial IN (?, ?)", target):
                raise ConfigError(f"{name_or_serial}: no certificate of that machine name or serial is known "
                                  "(`teafarm certs list` shows them)")
            self._conn.executemany("UPDATE certificates SET revoked_at = ? WHERE serial = ?",
                                   [(self.clock(), row.serial) for row in rows])
        return rows

    def revoked_serials(self) -> set[str]:
        return {serial for serial, in self._conn.execute("SELECT serial FROM certificates WHERE revoked_at IS NOT NULL")}

    def valid_certificates(self, name: str) -> list[CertificateRow]:
        return self._rows("WHERE name = ? AND revoked_at IS NULL AND not_after > ?", (name, self.clock()))

    def certificates(self) -> list[CertificateRow]:
        return self._rows("", ())

    def _rows(self, where: str, params: tuple) -> list[CertificateRow]:
        return [CertificateRow(*row) for row in self._conn.execute(
            f"SELECT serial, name, not_after, source, last_seen, revoked_at FROM certificates {where} "
            "ORDER BY name, not_after", params)]


def revoked_machines(database: Path) -> set[str]:
    """Machines with a revoked certificate and no valid one (for /machines); read-only, and empty
    while no registry exists."""
    path = registry_path(database)
    if not path.is_file():
        return set()
    try:
        conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True, timeout=10)
        try:
            return {name for name, in conn.execute(
                "SELECT name FROM certificates GROUP BY name HAVING count(revoked_at) > 0 "
                "AND sum(revoked_at IS NULL AND not_after > ?) = 0", (time.time(),))}
        finally:
            conn.close()
    except sqlite3.Error:
        return set()


def _when(timestamp: float) -> str:
    return time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(timestamp))
