"""This machine's certificates: the client's (present, for this machine, from the farm CA, not
expiring, its key private, not revoked) and, on the bot machine, the server's (its names)."""
from __future__ import annotations

import datetime as dt
import os
import stat
from pathlib import Path

from cryptography import x509
from cryptography.exceptions import InvalidSignature

from monitor.certs import ca_pair, serial_hex
from monitor.tls import alt_names, split_target
from teafarm.config import Config
from teafarm.doctor import Finding, fail, ok, skip
from teafarm.typed_config import ConfigError

EXPIRY_WARNING_DAYS = 30     # a certificate this close to its end fails: there is time to replace it


def check(config: Config) -> list[Finding]:
    client = config.client_settings()
    server = config.server_settings()
    findings = [_client_certificate(config, client.certificate, client.ca, client.machine_name),
                _private_key("client key", client.key) if client.certificate.is_file()
                else skip("client key", "comes with the certificate")]
    findings.append(_revocation(client.certificate, server.database))
    if server.certificate.is_file():      # the bot machine
        findings.append(_server_names(server.certificate, server.names, split_target(client.server)[0]))
        findings.append(_private_key("server key", server.key))
    else:
        findings.append(skip("server certificate", f"not on this machine ({server.certificate}): checked on the bot machine"))
    return findings


def _client_certificate(config: Config, path: Path, ca_path: Path, machine: str) -> Finding:
    name = "client certificate"
    if not path.exists():
        fix = ("start teafarm once (`teafarm up` or `teafarm client`): with the farm CA here it makes it"
               if ca_pair(config.data_dir).key.is_file() else
               f"enrol this machine: on the bot `teafarm certs token {machine}`, here `teafarm client --enrol-file FILE`")
        return fail(name, f"no certificate for machine {machine!r} at {path}", fix)
    try:
        cert = _load(path)
        ca = _load(ca_path)
    except ValueError as exc:
        return fail(name, str(exc), "enrol this machine again (or restore the file from a backup)")
    common = cert.subject.get_attributes_for_oid(x509.NameOID.COMMON_NAME)
    named = common[0].value if common else ""
    if named != machine:
        return fail(name, f"{path} is for machine {named!r}, this machine is {machine!r}",
                    f"set client.machine_name: {named}, or enrol as {machine}")
    try:
        cert.verify_directly_issued_by(ca)
    except (ValueError, TypeError, InvalidSignature):
        return fail(name, f"{path} is not signed by the farm CA in {ca_path}",
                    "enrol this machine again (its certificate is from another farm CA)")
    return _expiry(name, cert, f"for {machine}, serial {serial_hex(cert.serial_number)}",
                   f"enrol again: on the bot `teafarm certs token {machine} --replace`")


def _expiry(name: str, cert: x509.Certificate, what: str, fix: str) -> Finding:
    end = cert.not_valid_after_utc
    days = (end - dt.datetime.now(dt.timezone.utc)).days
    when = f"{end:%Y-%m-%d}"
    if days < 0:
        return fail(name, f"{what}: expired on {when}", fix)
    if days < EXPIRY_WARNING_DAYS:
        return fail(name, f"{what}: expires on {when}, in {days} days", fix)
    return ok(name, f"{what}, valid until {when}")


def _private_key(name: str, path: Path) -> Finding:
    try:
        mode = stat.S_IMODE(path.stat().st_mode)
    except OSError as exc:
        return fail(name, f"{path}: {exc.strerror}", "enrol this machine (the key is made with its certificate)")
    if mode & 0o077:
        return fail(name, f"{path} is readable by others (mode {mode:04o})", f"chmod 600 {path}")
    if not os.access(path, os.R_OK):
        return fail(name, f"{path} is not readable by this user", "run teafarm (and doctor) as the user that owns it")
    return ok(name, f"{path}, mode {mode:04o}")


def _revocation(certificate: Path, database: Path) -> Finding:
    """Revocations are known where the farm's registry is: the bot machine."""
    from monitor.server.registry import Registry, registry_path

    path = registry_path(database)
    if not path.is_file() or not certificate.is_file():
        return skip("revoked", "the certificate registry is on the bot machine (its server refuses a revoked certificate)")
    try:
        serial = serial_hex(_load(certificate).serial_number)
    except ValueError:
        return skip("revoked", "needs a readable certificate (above)")
    try:
        registry = Registry(path)
    except ConfigError as exc:
        return fail("revoked", str(exc), "run doctor as the user teafarm bot runs as")
    try:
        revoked = serial in registry.revoked_serials()
    finally:
        registry.close()
    if revoked:
        return fail("revoked", f"{certificate} (serial {serial}) is revoked",
                    "enrol this machine again: on the bot `teafarm certs token NAME`")
    return ok("revoked", f"serial {serial} is not revoked")


def _server_names(path: Path, configured: list[str], client_host: str) -> Finding:
    """The names clients use must be in the server certificate: server.names, and the host this
    machine's own client connects to."""
    try:
        cert = _load(path)
    except ValueError as exc:
        return fail("server certificate", str(exc), "teafarm certs server --names NAME... (it makes a new one)")
    names = alt_names(cert)
    used = list(dict.fromkeys([*configured, client_host]))
    missing = [n for n in used if n not in names]
    if missing:
        return fail("server certificate", f"{path} is for {', '.join(names)}; clients use {', '.join(missing)} too",
                    f"teafarm certs server --names {' '.join(used)}")
    return _expiry("server certificate", cert, f"for {', '.join(names)}", "teafarm certs server --names ...")


def _load(path: Path) -> x509.Certificate:
    """The certificate in `path`; ValueError with one line saying why not (unreadable, empty, garbage)."""
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise ValueError(f"{path}: cannot read ({exc.strerror})") from None
    try:
        return x509.load_pem_x509_certificate(data)
    except ValueError:
        raise ValueError(f"{path}: not a PEM certificate ({'empty' if not data.strip() else f'{len(data)} bytes'})") from None
