"""Enrolment by token against a real server (in-process, real HTTPS and gRPC on loopback): a new
machine trades a token for its certificate and connects; every misuse is refused with one line and
the secret goes only to the farm's real server."""
from __future__ import annotations

import stat
import threading
import time
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

from monitor.certs import CertPair, ca_pair, create_ca, issue
from monitor.client.enrolment import enrol
from monitor.enrol_token import EnrolToken, new_token
from monitor.server.enrolment import EnrolmentListener
from monitor.server.registry import Registry
from teafarm.typed_config import ConfigError
from tests.helpers.backbone import client_pair, event, query, stream_events
from tests.helpers.ports import free_port
from tests.helpers.waiting import wait_until


@pytest.fixture(scope="module")
def bot(farm_server):
    """The farm's server (tests/monitor/conftest.py), on the bot's machine."""
    return farm_server


def machine_pair(folder: Path, name: str) -> CertPair:
    return CertPair(folder / "certs" / f"{name}.crt", folder / "certs" / f"{name}.key")


def test_a_machine_enrols_by_token_and_connects(bot, tmp_path):
    token = bot.token("harvester-1")
    pair, ca = machine_pair(tmp_path, "harvester-1"), tmp_path / "certs" / "ca.crt"
    cert = enrol(token, bot.target, "harvester-1", pair, ca)

    assert stat.S_IMODE(pair.key.stat().st_mode) == 0o600 and stat.S_IMODE(pair.certificate.stat().st_mode) == 0o600
    assert ca.read_bytes() == ca_pair(bot.data_dir).certificate.read_bytes()
    assert cert.extensions.get_extension_for_class(x509.BasicConstraints).value.ca is False
    assert list(cert.extensions.get_extension_for_class(x509.ExtendedKeyUsage).value) == [ExtendedKeyUsageOID.CLIENT_AUTH]
    replies = stream_events(bot.app.port, pair, ca, [[event("disk", id="/mnt/a", mountpoint="/mnt/a")]], machine="harvester-1")
    assert [r.WhichOneof("kind") for r in replies] == ["welcome", "ack"]
    used_at, address, serial = bot.token_row(token)
    assert used_at and address == "127.0.0.1" and serial == format(cert.serial_number, "x")
    stored = query(bot.registry, "SELECT * FROM tokens WHERE id = ?", (token.token_id,))[0]
    assert not any(token.secret in str(value) for value in stored)
    assert stat.S_IMODE(bot.registry.stat().st_mode) == 0o600


def test_a_used_token_is_refused_but_a_retry_with_the_same_key_gets_the_same_certificate(bot, tmp_path):
    token = bot.token("harvester-2")
    pair = machine_pair(tmp_path / "first", "harvester-2")
    first = enrol(token, bot.target, "harvester-2", pair, tmp_path / "first" / "ca.crt")
    pair.certificate.unlink()      # the reply was lost: the key stayed, the certificate never arrived
    again = enrol(token, bot.target, "harvester-2", pair, tmp_path / "first" / "ca.crt")
    assert again.serial_number == first.serial_number

    with pytest.raises(ConfigError, match=r"refused: this enrolment token was used already"):
        enrol(token, bot.target, "harvester-2", machine_pair(tmp_path / "other", "harvester-2"), tmp_path / "other" / "ca.crt")
    assert not (tmp_path / "other" / "certs" / "harvester-2.crt").exists()


def test_an_expired_token_is_refused(bot, tmp_path):
    token = new_token(bot.token("unused").pin)
    an_hour_ago = Registry(bot.registry, clock=lambda: time.time() - 3600)
    an_hour_ago.add_token(token.token_id, token.secret, "harvester-3", 1800, replace=False)
    an_hour_ago.close()
    with pytest.raises(ConfigError, match=r"refused: this enrolment token expired at .*teafarm certs token harvester-3"):
        enrol(token, bot.target, "harvester-3", machine_pair(tmp_path, "harvester-3"), tmp_path / "ca.crt")
    assert bot.token_row(token)[0] is None


def test_a_wrong_pin_sends_nothing(bot, tmp_path):
    real = bot.token("harvester-4")
    other_ca = CertPair(tmp_path / "other" / "ca.crt", tmp_path / "other" / "ca.key")
    create_ca(other_ca)
    from monitor.certs import ca_fingerprint

    wrong = EnrolToken(real.token_id, real.secret, ca_fingerprint(other_ca.certificate.read_bytes()))
    with pytest.raises(ConfigError, match="does not match the token's pin"):
        enrol(wrong, bot.target, "harvester-4", machine_pair(tmp_path, "harvester-4"), tmp_path / "ca.crt")
    assert bot.token_row(real)[0] is None


def test_a_farm_client_certificate_posing_as_the_server_never_receives_the_secret(bot, tmp_path):
    token = bot.token("harvester-5")
    # a farm machine's certificate (client use only), even with the right name, serving the real CA
    impostor = CertPair(tmp_path / "impostor.crt", tmp_path / "impostor.key")
    issue(ca_pair(bot.data_dir), impostor, "harvester-1", ["127.0.0.1", "localhost"], server=False)
    listener = EnrolmentListener(f"127.0.0.1:{free_port()}", impostor, ca_pair(bot.data_dir), bot.registry)
    listener.start()
    try:
        with pytest.raises(ConfigError, match="not for server use|not acceptable") as refused:
            enrol(token, f"127.0.0.1:{listener.port}", "harvester-5", machine_pair(tmp_path, "harvester-5"), tmp_path / "ca.crt")
    finally:
        listener.stop()
    assert "nothing was sent" in str(refused.value)
    assert bot.token_row(token)[0] is None      # the impostor shares the registry: a received secret would be used


def test_of_two_concurrent_uses_exactly_one_wins(bot, tmp_path):
    token = bot.token("harvester-6")
    start = threading.Barrier(4)
    results: list[object] = []

    def use(number: int) -> None:
        folder = tmp_path / str(number)
        start.wait()
        try:
            results.append(enrol(token, bot.target, "harvester-6", machine_pair(folder, "harvester-6"), folder / "ca.crt"))
        except ConfigError as exc:
            results.append(exc)

    threads = [threading.Thread(target=use, args=(n,)) for n in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    won = [r for r in results if isinstance(r, x509.Certificate)]
    refused = [r for r in results if isinstance(r, ConfigError)]
    assert len(won) == 1 and len(refused) == 3, results
    assert all("used already" in str(r) for r in refused)


def test_the_server_takes_only_the_public_key_and_names_the_certificate_by_the_token(bot, tmp_path):
    import http.client
    import json
    import ssl

    token = bot.token("harvester-7")
    key = ec.generate_private_key(ec.SECP256R1())
    greedy = (x509.CertificateSigningRequestBuilder()
              .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "harvester-7")]))
              .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
              .add_extension(x509.SubjectAlternativeName([x509.DNSName("farm-bot")]), critical=False)
              .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
              .sign(key, hashes.SHA256()))
    context = ssl.create_default_context(cafile=str(ca_pair(bot.data_dir).certificate))
    connection = http.client.HTTPSConnection("127.0.0.1", bot.enrol_port, context=context, timeout=30)
    body = {"token_id": token.token_id, "secret": token.secret, "machine": "harvester-7",
            "csr": greedy.public_bytes(serialization.Encoding.PEM).decode()}
    connection.request("POST", "/enrol", json.dumps(body), {"Content-Type": "application/json"})
    cert = x509.load_pem_x509_certificate(json.loads(connection.getresponse().read())["certificate"].encode())
    connection.close()
    assert cert.public_key() == key.public_key()
    assert cert.extensions.get_extension_for_class(x509.BasicConstraints).value.ca is False
    assert list(cert.extensions.get_extension_for_class(x509.ExtendedKeyUsage).value) == [ExtendedKeyUsageOID.CLIENT_AUTH]
    assert cert.extensions.get_extension_for_class(x509.SubjectAlternativeName).value.get_values_for_type(x509.DNSName) \
        == ["harvester-7"]


def test_certs_token_checks_names_ttl_and_machines_that_have_a_certificate(bot, tmp_path):
    for bad in ("bad name", "evil\n", "a/b", "ünï", "x" * 300, ""):
        with pytest.raises(ConfigError, match="machine name .*: use letters"):
            bot.token(bad)
    with pytest.raises(ConfigError, match="--ttl 8d: at most 7d"):
        bot.token("harvester-8", "--ttl", "8d")
    assert bot.token("harvester-8", "--ttl", "7d")
    first = bot.token("harvester-9")
    enrol(first, bot.target, "harvester-9", machine_pair(tmp_path / "a", "harvester-9"), tmp_path / "a" / "ca.crt")
    with pytest.raises(ConfigError, match="harvester-9 has a valid certificate .*--replace"):
        bot.token("harvester-9")
    old = load_serial(machine_pair(tmp_path / "a", "harvester-9"))
    renewed = bot.token("harvester-9", "--replace")
    enrol(renewed, bot.target, "harvester-9", machine_pair(tmp_path / "b", "harvester-9"), tmp_path / "b" / "ca.crt")
    listing = bot.cli("certs", "list")
    revoked_line, = [line for line in listing.splitlines() if old in line]
    assert "harvester-9" in revoked_line and revoked_line.split()[-1] != "no"
    with pytest.raises(ConfigError, match="this enrolment token is for machine 'harvester-10', not 'harvester-11'"):
        enrol(bot.token("harvester-10"), bot.target, "harvester-11", machine_pair(tmp_path / "c", "harvester-11"),
              tmp_path / "c" / "ca.crt")


def test_of_two_tokens_made_for_a_machine_before_either_was_used_only_one_enrols_it(bot, tmp_path):
    first, second = bot.token("harvester-12"), bot.token("harvester-12")
    enrol(first, bot.target, "harvester-12", machine_pair(tmp_path / "a", "harvester-12"), tmp_path / "a" / "ca.crt")
    with pytest.raises(ConfigError, match="harvester-12 got a certificate after this token was made.*--replace"):
        enrol(second, bot.target, "harvester-12", machine_pair(tmp_path / "b", "harvester-12"), tmp_path / "b" / "ca.crt")
    assert bot.token_row(second)[0] is None       # refused, not used


def load_serial(pair: CertPair) -> str:
    return format(x509.load_pem_x509_certificate(pair.certificate.read_bytes()).serial_number, "x")


def test_the_token_comes_from_a_file_or_the_environment_and_is_ignored_once_the_machine_has_its_certificate(
        bot, tmp_path, monkeypatch, caplog):
    import argparse
    import logging

    from teafarm.commands.client import enrol_once, read_token

    monkeypatch.delenv("TEAFARM_ENROL_TOKEN", raising=False)
    assert read_token(argparse.Namespace(enrol_file=None)) is None
    (tmp_path / "bad.token").write_text("tf1.not-a-token\n")
    with pytest.raises(ConfigError, match=r"--enrol-file .*bad.token: not a teafarm enrolment token"):
        read_token(argparse.Namespace(enrol_file=str(tmp_path / "bad.token")))
    with pytest.raises(ConfigError, match=r"--enrol-file .*missing.token: cannot read"):
        read_token(argparse.Namespace(enrol_file=str(tmp_path / "missing.token")))
    monkeypatch.setenv("TEAFARM_ENROL_TOKEN", "garbage")
    with pytest.raises(ConfigError, match="TEAFARM_ENROL_TOKEN: not a teafarm enrolment token"):
        read_token(argparse.Namespace(enrol_file=None))
    token = bot.token("testbox")
    monkeypatch.setenv("TEAFARM_ENROL_TOKEN", f"{token}\n")
    assert read_token(argparse.Namespace(enrol_file=None)) == token
    (tmp_path / "notepad.token").write_text(f"\ufeff{token}\r\n", encoding="utf-8")    # BOM and CRLF
    with pytest.raises(ConfigError, match="--enrol-file and TEAFARM_ENROL_TOKEN both give an enrolment token"):
        read_token(argparse.Namespace(enrol_file=str(tmp_path / "notepad.token")))
    monkeypatch.delenv("TEAFARM_ENROL_TOKEN")
    assert read_token(argparse.Namespace(enrol_file=str(tmp_path / "notepad.token"))) == token

    settings = bot.settings.client_settings()       # machine testbox, the bot's own data folder
    client_pair(bot.data_dir, "testbox")
    with caplog.at_level(logging.INFO):
        enrol_once(bot.settings, token)             # the machine has its certificate: no enrolment
    assert "the enrolment token is not needed any more" in caplog.text
    assert bot.token_row(token)[0] is None and settings.certificate.is_file()


def post_raw(bot, body: bytes, content_type: str = "application/json") -> tuple[int, str]:
    """POST /enrol as anyone could: the status and the error line of the answer."""
    import http.client
    import json
    import ssl

    context = ssl.create_default_context(cafile=str(ca_pair(bot.data_dir).certificate))
    connection = http.client.HTTPSConnection("127.0.0.1", bot.enrol_port, context=context, timeout=60)
    try:
        connection.request("POST", "/enrol", body, {"Content-Type": content_type})
        response = connection.getresponse()
        return response.status, json.loads(response.read()).get("error", "")
    finally:
        connection.close()


def request_for(bot, name: str, key, digest=hashes.SHA256(), csr: bytes | None = None) -> bytes:
    import json

    token = bot.token(name)
    csr = csr or (x509.CertificateSigningRequestBuilder()
                  .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, name)]))
                  .sign(key, digest).public_bytes(serialization.Encoding.PEM))
    return json.dumps({"token_id": token.token_id, "secret": token.secret, "machine": name, "csr": csr.decode()}).encode()


@pytest.mark.filterwarnings("ignore:DSA is deprecated")
def test_hostile_requests_are_refused_with_one_line_and_the_listener_goes_on(bot, tmp_path, caplog):
    import json

    from cryptography.hazmat.primitives.asymmetric import dsa, ed448, rsa

    good = ec.generate_private_key(ec.SECP256R1())
    signed = x509.load_pem_x509_csr(json.loads(request_for(bot, "hostile-0", good))["csr"].encode())
    tampered = bytearray(signed.public_bytes(serialization.Encoding.DER))
    tampered[-5] ^= 1      # inside the signature
    tampered_pem = x509.load_der_x509_csr(bytes(tampered)).public_bytes(serialization.Encoding.PEM)
    weak_key = "the certificate request's key must be EC on P-256, P-384 or P-521, or RSA of 2048 bits or more"
    cases = [
        (b"\x00\xff" * 100, "application/json", "the request is not JSON"),
        (b"[" * 60000, "application/json", "the request is not JSON"),      # nested too deep for the parser
        (request_for(bot, "hostile-1", good), "text/plain", "must be sent as application/json"),
        (request_for(bot, "hostile-8", good).replace(b'"secret": "', b'"secret": "\\udc00'), "application/json",
         "unknown enrolment token"),      # a lone surrogate, which cannot even be hashed
        (request_for(bot, "hostile-2", good, csr=tampered_pem), "application/json", "signature does not match its key"),
        (request_for(bot, "hostile-3", ec.generate_private_key(ec.SECP192R1())), "application/json", weak_key),
        (request_for(bot, "hostile-4", rsa.generate_private_key(65537, 1024)), "application/json", weak_key),
        (request_for(bot, "hostile-5", dsa.generate_private_key(2048)), "application/json", weak_key),
        (request_for(bot, "hostile-6", ed448.Ed448PrivateKey.generate(), digest=None), "application/json", weak_key),
    ]
    for body, content_type, error in cases:
        status, answer = post_raw(bot, body, content_type)
        assert status == 403 and error in answer, (body[:60], answer)
    assert "Traceback" not in caplog.text
    # and a good request still gets its certificate
    assert enrol(bot.token("hostile-7"), bot.target, "hostile-7", machine_pair(tmp_path, "hostile-7"), tmp_path / "ca.crt")


def test_a_flood_of_connections_and_a_slow_trickle_hold_no_more_than_their_share(bot, monkeypatch):
    import socket
    import ssl

    from monitor.server import enrolment

    # a flood: connections beyond MAX_CONNECTIONS are closed at once, while the first ones, silent,
    # are held up to their deadline (both timeouts far beyond this test's waits)
    monkeypatch.setattr(enrolment, "REQUEST_TIMEOUT", 600.0)
    monkeypatch.setattr(enrolment._Handler, "timeout", 600.0)
    idle = [socket.create_connection(("127.0.0.1", bot.enrol_port)) for _ in range(enrolment.MAX_CONNECTIONS)]
    one_too_many = socket.create_connection(("127.0.0.1", bot.enrol_port), timeout=120)
    try:
        assert one_too_many.recv(1) == b""
    finally:
        for connection in [one_too_many, *idle]:
            connection.close()

    # a trickle: cut at its deadline, however steadily it sends
    monkeypatch.setattr(enrolment, "REQUEST_TIMEOUT", 2.0)
    context = ssl.create_default_context(cafile=str(ca_pair(bot.data_dir).certificate))
    trickle = wait_until(lambda: _connected(context, bot.enrol_port), 60, "a free connection")
    trickle.sendall(b"POST /enrol HTTP/1.1\r\nContent-Type: application/json\r\nContent-Length: 1000\r\n\r\n")

    def cut() -> bool:
        try:
            trickle.sendall(b" ")
            return False
        except OSError:
            return True
    try:
        wait_until(cut, 60, "the slow request to be cut")
    finally:
        trickle.close()
    assert ca_pair(bot.data_dir).certificate.read_bytes() in fetch_ca(bot)


def _connected(context, port: int):
    """A TLS connection to the listener, or None while it is still full."""
    import socket

    try:
        return context.wrap_socket(socket.create_connection(("127.0.0.1", port), timeout=60), server_hostname="127.0.0.1")
    except OSError:
        return None


def fetch_ca(bot) -> bytes:
    import http.client
    import ssl

    context = ssl.create_default_context(cafile=str(ca_pair(bot.data_dir).certificate))
    connection = http.client.HTTPSConnection("127.0.0.1", bot.enrol_port, context=context, timeout=60)
    try:
        connection.request("GET", "/ca")
        return connection.getresponse().read()
    finally:
        connection.close()


class TricklingListener:
    """A spoofed enrolment listener that never finishes: it completes the TLS handshake, then answers
    a byte a second. Each byte resets a per-read socket timeout."""

    def __init__(self, tls: CertPair):
        import socket

        self.tls, self.stopped = tls, threading.Event()
        self.server = socket.create_server(("127.0.0.1", 0))
        self.port = self.server.getsockname()[1]
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self) -> None:
        while not self.stopped.is_set():
            try:
                connection, _ = self.server.accept()
            except OSError:
                return
            threading.Thread(target=self._trickle, args=(connection,), daemon=True).start()

    def _trickle(self, connection) -> None:
        import ssl

        try:
            context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
            context.load_cert_chain(self.tls.certificate, self.tls.key)
            connection = context.wrap_socket(connection, server_side=True)
            connection.recv(4096)        # the request
            for byte in b"HTTP/1.1 200 OK\r\nX-Slow: " + b"a" * 100_000:
                connection.sendall(bytes([byte]))
                if self.stopped.wait(1):
                    return
        except OSError:
            return
        finally:
            connection.close()

    def stop(self) -> None:
        self.stopped.set()
        self.server.close()


def test_a_listener_that_trickles_bytes_fails_the_enrolment_at_its_deadline(bot, tmp_path, monkeypatch):
    from monitor.client import enrolment

    monkeypatch.setattr(enrolment, "DEADLINE", 2.0)
    tls = CertPair(tmp_path / "spoof.crt", tmp_path / "spoof.key")
    issue(ca_pair(bot.data_dir), tls, "spoof", ["127.0.0.1"], server=True)
    listener = TricklingListener(tls)
    pair, token, outcome = machine_pair(tmp_path, "stalled-1"), bot.token("stalled-1"), []

    def attempt() -> None:
        try:
            enrol(token, f"127.0.0.1:{listener.port}", "stalled-1", pair, tmp_path / "ca.crt")
        except ConfigError as exc:
            outcome.append(str(exc))
    worker = threading.Thread(target=attempt, daemon=True)
    worker.start()
    try:
        wait_until(lambda: not worker.is_alive(), 60, "the enrolment to give up")
    finally:
        listener.stop()
    assert outcome == [f"enrolment at 127.0.0.1:{listener.port}: the enrolment listener did not finish within 2 s "
                       "(stalled, or not a teafarm server); check client.enrol_server and start again"]
    assert not pair.key.exists() and not pair.certificate.exists()


def test_a_key_file_the_client_did_not_make_is_never_overwritten(bot, tmp_path):
    from cryptography.hazmat.primitives.asymmetric import rsa

    pair = machine_pair(tmp_path, "handmade-key-1")
    pair.key.parent.mkdir(parents=True)
    rsa_key = rsa.generate_private_key(65537, 2048).private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    token = bot.token("handmade-key-1")
    for content, why in [(rsa_key, r"RSA key; teafarm makes EC keys"),
                         (b"not a key\n", "not an unencrypted PEM private key")]:
        pair.key.write_bytes(content)
        with pytest.raises(ConfigError, match=rf"^{pair.key}: this key file was not made by teafarm \({why}\) and "
                                              r"has no certificate: move it away or delete it"):
            enrol(token, bot.target, "handmade-key-1", pair, tmp_path / "ca.crt")
        assert pair.key.read_bytes() == content and not pair.certificate.exists()
    assert bot.token_row(token)[0] is None       # nothing was sent: the token still enrols once the file is moved
    pair.key.unlink()
    assert enrol(token, bot.target, "handmade-key-1", pair, tmp_path / "ca.crt")
