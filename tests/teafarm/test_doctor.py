"""`teafarm doctor` on a good setup (certificates from `teafarm certs init` and `certs client`, a real
`teafarm server` process, chia's RPC from the fake chia) passes every check; then each failure it
detects, set up for real beside it (other config files over the same farm), fails with its fix.
The command runs in this process through the CLI's own main(), once as a process for its exit code."""
from __future__ import annotations

import datetime as dt
import shutil
import subprocess
import time
from concurrent import futures
from pathlib import Path

import grpc
import pytest
import yaml
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec

from monitor.certs import CertPair, write_key
from monitor.tls import server_credentials
from protocol import service_pb2, service_pb2_grpc
from teafarm.cli import main
from tests.helpers.backbone import TEAFARM, TeafarmProcess, query, write_config
from tests.helpers.fake_chia import FakeChia, recorded_routes, write_chia_root
from tests.helpers.ports import free_port
from tests.helpers.tmpfs import mount_tmpfs, unmount
from tests.helpers.waiting import wait_until

MACHINE = "doctorbox"


def teafarm(*args: str) -> str:
    done = subprocess.run([*TEAFARM, *args], capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    return done.stdout


class Setup:
    """The good farm: its folder, config and port, a running server and chia."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.port = free_port()
        ports = {service: free_port() for service in ("daemon", "farmer", "harvester", "full_node", "wallet")}
        self.chia_root = folder / "chia"
        write_chia_root(self.chia_root, ports)
        self.chia = FakeChia(self.chia_root, recorded_routes(), ports).start(("farmer", "harvester"))
        # 0.0.0.0: the name-mismatch case reaches it as 127.0.0.2, a name its certificate lacks
        self.config = write_config(folder, self.port, server={"listen": f"0.0.0.0:{self.port}", "enrol_listen": ""},
                                   client={"server": f"127.0.0.1:{self.port}", "machine_name": MACHINE},
                                   chia={"enabled": True, "root": str(self.chia_root)}, bot={"health": {"listen": ""}})
        teafarm("certs", "init", "--config", str(self.config))
        teafarm("certs", "client", MACHINE, "--config", str(self.config))
        self.server = TeafarmProcess(["server", "--config", str(self.config)], folder / "server.log")
        wait_until(lambda: "listening on" in self.server.log_text() or self.server.proc.poll() is not None, 60,
                   "the server's start")
        assert self.server.proc.poll() is None, self.server.log_text()

    @property
    def certs(self) -> Path:
        return self.folder / "data" / "certs"

    def variant(self, name: str, **sections) -> Path:
        """Another config over the same farm: `sections` merged into a copy of the good one."""
        config = yaml.safe_load(self.config.read_text())
        for section, values in sections.items():
            if isinstance(values, dict):
                config.setdefault(section, {}).update(values)
            else:
                config[section] = values
        path = self.folder / f"{name}.yml"
        path.write_text(yaml.safe_dump(config))
        return path

    def with_client_files(self, name: str, certificate: Path, key: Path, **client) -> Path:
        return self.variant(name, client={"certificate": str(certificate), "key": str(key), **client})

    def stop(self) -> None:
        self.server.stop()
        self.chia.stop()


@pytest.fixture(scope="module")
def setup(tmp_path_factory):
    farm = Setup(tmp_path_factory.mktemp("doctor"))
    yield farm
    farm.stop()


def doctor(config: Path, capsys) -> tuple[int, dict[str, tuple[str, str, str]]]:
    """Exit status and check -> (result, detail, fix), read back from the printed table."""
    capsys.readouterr()
    status = main(["doctor", "--config", str(config)])
    rows: dict[str, tuple[str, str, str]] = {}
    last = ""
    for line in capsys.readouterr().out.splitlines()[1:-1]:
        if line.lstrip().startswith("fix: "):
            result, detail, _ = rows[last]
            rows[last] = (result, detail, line.strip()[len("fix: "):])
            continue
        check, result, detail = [part.strip() for part in _columns(line)]
        rows[check], last = (result, detail, ""), check
    return status, rows


def _columns(line: str) -> tuple[str, str, str]:
    check, rest = line.split("  ", 1)
    result, _, detail = rest.strip().partition("  ")
    return check, result, detail


def test_a_good_setup_passes_every_check(setup, capsys):
    status, rows = doctor(setup.config, capsys)
    assert status == 0, rows
    assert {check for check, row in rows.items() if row[0] == "ok"} == {
        "config", "client certificate", "client key", "revoked", "server certificate", "server key", "server", "clock",
        "chia RPC", "chia log level", "space: database", "space: outbox"}, rows
    assert rows["server"][1] == f"127.0.0.1:{setup.port} accepts this machine as '{MACHINE}' (mutual TLS)"
    assert rows["chia RPC"][1].startswith("farmer, harvester answer")
    # the probe recorded nothing: a machine whose client is stopped does not flap online and offline
    assert query(setup.folder / "data" / "teafarm.db", "SELECT count(*) FROM machines WHERE machine = ?", (MACHINE,)) == [(0,)]


def test_a_config_mistake_fails_the_first_check_with_exit_1_as_a_process(setup):
    broken = setup.folder / "broken.yml"
    broken.write_text("client:\n  interval: -1\n")
    done = subprocess.run([*TEAFARM, "doctor", "--config", str(broken)], capture_output=True, text=True, timeout=60)
    assert done.returncode == 1 and done.stderr == ""
    assert f"config  FAIL    {broken}: client.interval: must be more than 0 seconds" in done.stdout
    assert done.stdout.endswith("1 check failed\n")


def test_what_a_badly_set_up_machine_gets_wrong_each_with_its_fix(setup, capsys):
    """A readable key, a server nobody listens for, chia stopped and at WARNING, a full disk."""
    key = setup.folder / "loose.key"
    shutil.copyfile(setup.certs / f"{MACHINE}.key", key)
    key.chmod(0o644)
    quiet_root = setup.folder / "quiet-chia"
    write_chia_root(quiet_root, {service: free_port() for service in ("daemon", "farmer", "harvester", "full_node", "wallet")})
    chia_config = quiet_root / "config" / "config.yaml"
    chia_config.write_text(chia_config.read_text().replace("log_level: INFO", "log_level: WARNING"))
    full = setup.folder / "full"
    mount_tmpfs(full, 4)
    try:
        status, rows = doctor(setup.variant(
            "bad", client={"certificate": str(setup.certs / f"{MACHINE}.crt"), "key": str(key),
                           "server": f"127.0.0.1:{free_port()}", "outbox": str(full / "outbox.db")},
            chia={"enabled": True, "root": str(quiet_root)}), capsys)
    finally:
        unmount(full)
    assert status == 1
    assert rows["client key"] == ("FAIL", f"{key} is readable by others (mode 0644)", f"chmod 600 {key}")
    assert rows["server"][0] == "FAIL" and "unreachable" in rows["server"][1] and "firewall" in rows["server"][2]
    assert rows["clock"][0] == "skip"
    assert rows["chia RPC"][0] == "FAIL" and rows["chia RPC"][2].startswith("start chia")
    assert rows["chia log level"] == ("FAIL", "farmer WARNING, harvester WARNING hides the lines teafarm reads from debug.log",
                                      "chia configure --log-level INFO, then restart chia (`chia start -r farmer`)")
    assert rows["space: outbox"][0] == "FAIL" and "at least 1.00 GiB needed" in rows["space: outbox"][1]
    assert rows["space: database"][0] == "ok"


def test_a_certificate_of_another_machine_is_refused_and_a_missing_chia_is_named(setup, capsys):
    status, rows = doctor(setup.with_client_files("other", setup.certs / f"{MACHINE}.crt", setup.certs / f"{MACHINE}.key",
                                                  machine_name="other"), capsys)
    assert status == 1
    assert rows["client certificate"] == ("FAIL", f"{setup.certs / MACHINE}.crt is for machine '{MACHINE}', this machine is 'other'",
                                          f"set client.machine_name: {MACHINE}, or enrol as other")
    assert rows["server"][0] == "FAIL" and f"this certificate is for machine '{MACHINE}', not 'other'" in rows["server"][1]
    status, rows = doctor(setup.variant("nochia", chia={"enabled": True, "root": str(setup.folder / "nowhere")}), capsys)
    assert rows["chia RPC"][0] == "FAIL" and "no chia config at" in rows["chia RPC"][1]


def test_a_certificate_of_another_farm_is_not_trusted(setup, capsys):
    (setup.folder / "stranger").mkdir()
    stranger = write_config(setup.folder / "stranger", free_port())
    teafarm("certs", "init", "--config", str(stranger))
    teafarm("certs", "client", MACHINE, "--config", str(stranger))
    theirs = setup.folder / "stranger" / "data" / "certs"
    status, rows = doctor(setup.with_client_files("stranger", theirs / f"{MACHINE}.crt", theirs / f"{MACHINE}.key"), capsys)
    assert status == 1
    assert rows["client certificate"][0] == "FAIL" and "is not signed by the farm CA" in rows["client certificate"][1]
    assert rows["server"][0] == "FAIL" and "certificate not trusted" in rows["server"][1]


def test_an_expired_certificate_fails(setup, capsys):
    pair = issue_with_validity(setup.certs, "expired", days_left=-2)
    status, rows = doctor(setup.with_client_files("expired", pair.certificate, pair.key, machine_name="expired"), capsys)
    assert rows["client certificate"][0] == "FAIL" and "expired on" in rows["client certificate"][1]
    assert rows["client certificate"][2] == "enrol again: on the bot `teafarm certs token expired --replace`"
    pair = issue_with_validity(setup.certs, "soon", days_left=10)
    status, rows = doctor(setup.with_client_files("soon", pair.certificate, pair.key, machine_name="soon"), capsys)
    assert rows["client certificate"][0] == "FAIL" and "in 10 days" in rows["client certificate"][1]
    assert rows["server"][0] == "ok"            # still valid: the server takes it


def test_a_revoked_certificate_fails_here_and_at_the_server(setup, capsys):
    teafarm("certs", "client", "revokedbox", "--config", str(setup.config))
    teafarm("certs", "revoke", "revokedbox", "--config", str(setup.config))
    config = setup.with_client_files("revoked", setup.certs / "revokedbox.crt", setup.certs / "revokedbox.key",
                                     machine_name="revokedbox")
    status, rows = doctor(config, capsys)
    assert status == 1
    assert rows["revoked"][0] == "FAIL" and "is revoked" in rows["revoked"][1]
    assert rows["server"][0] == "FAIL" and "refused this machine" in rows["server"][1]


def test_a_name_the_server_certificate_lacks_is_a_name_mismatch(setup, capsys):
    status, rows = doctor(setup.variant("mismatch", client={"server": f"127.0.0.2:{setup.port}"}), capsys)
    assert status == 1
    assert rows["server"][0] == "FAIL" and rows["server"][1].startswith(f"127.0.0.2:{setup.port}: name mismatch")
    assert rows["server certificate"][0] == "FAIL" and "clients use 127.0.0.2 too" in rows["server certificate"][1]
    assert "teafarm certs server --names" in rows["server certificate"][2] and "127.0.0.2" in rows["server certificate"][2]


class _AheadServer(service_pb2_grpc.MonitorServicer):
    """The bot machine's clock a minute ahead: a server on the farm's own certificate whose welcome
    says so (this machine's clock cannot be moved in a test)."""

    def Stream(self, request_iterator, context):
        for message in request_iterator:
            yield service_pb2.ServerMessage(welcome=service_pb2.Welcome(machine=MACHINE, server_time=time.time() + 60))
            return


def test_a_clock_off_the_servers_fails(setup, capsys):
    server = grpc.server(futures.ThreadPoolExecutor(2))
    service_pb2_grpc.add_MonitorServicer_to_server(_AheadServer(), server)
    port = server.add_secure_port("127.0.0.1:0", server_credentials(
        CertPair(setup.certs / "server.crt", setup.certs / "server.key"), setup.certs / "ca.crt"))
    server.start()
    try:
        status, rows = doctor(setup.variant("ahead", client={"server": f"127.0.0.1:{port}"}), capsys)
    finally:
        server.stop(None)
    assert status == 1
    assert rows["server"][0] == "ok"
    assert rows["clock"][0] == "FAIL" and rows["clock"][1].startswith("this machine's clock is 60.0 s behind the server's")
    assert "timedatectl set-ntp true" in rows["clock"][2]


def issue_with_validity(certs: Path, name: str, days_left: int) -> CertPair:
    """A client certificate of the farm CA that ends `days_left` days from now (negative: expired);
    monitor.certs always issues for years."""
    ca_cert = x509.load_pem_x509_certificate((certs / "ca.crt").read_bytes())
    ca_key = serialization.load_pem_private_key((certs / "ca.key").read_bytes(), password=None)
    key = ec.generate_private_key(ec.SECP256R1())
    now = dt.datetime.now(dt.timezone.utc)
    subject = x509.Name([x509.NameAttribute(x509.NameOID.COMMON_NAME, name)])
    cert = (x509.CertificateBuilder().subject_name(subject).issuer_name(ca_cert.subject).public_key(key.public_key())
            .serial_number(x509.random_serial_number()).not_valid_before(now - dt.timedelta(days=30))
            .not_valid_after(now + dt.timedelta(days=days_left, hours=1))
            .add_extension(x509.SubjectAlternativeName([x509.DNSName(name)]), critical=False)
            .add_extension(x509.ExtendedKeyUsage([x509.ExtendedKeyUsageOID.CLIENT_AUTH]), critical=False)
            .sign(ca_key, hashes.SHA256()))
    pair = CertPair(certs / f"{name}.crt", certs / f"{name}.key")
    pair.certificate.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    write_key(pair.key, key)
    return pair


def test_hostile_files_each_fail_their_row_with_a_fix_never_a_traceback(setup, capsys, monkeypatch):
    binary = setup.folder / "binary.yml"
    binary.write_bytes(b"\x00\xff\xfe\x89PNG" * 50)
    status, rows = doctor(binary, capsys)
    assert status == 1 and rows["config"][0] == "FAIL" and str(binary) in rows["config"][1] and rows["config"][2]

    key = setup.certs / f"{MACHINE}.key"
    garbage, empty, folder = setup.folder / "garbage.crt", setup.folder / "empty.crt", setup.folder / "folder.crt"
    garbage.write_bytes(b"-----BEGIN CERTIFICATE-----\n\x00\xffnot base64\n-----END CERTIFICATE-----\n")
    empty.write_bytes(b"")
    folder.mkdir(exist_ok=True)
    for certificate, why in [(garbage, f"not a PEM certificate ({garbage.stat().st_size} bytes)"), (empty, "not a PEM certificate (empty)")]:
        # gRPC aborted the whole process on these (a C++ check): they must be refused before it sees them
        status, rows = doctor(setup.with_client_files(f"bad-{certificate.stem}", certificate, key), capsys)
        assert status == 1
        assert rows["client certificate"] == ("FAIL", f"{certificate}: {why}",
                                              "enrol this machine again (or restore the file from a backup)"), rows
        assert rows["server"][0] == "FAIL" and f"{certificate}: not a PEM certificate" in rows["server"][1], rows
        assert rows["revoked"][0] == "skip"
    status, rows = doctor(setup.with_client_files("bad-folder", folder, key), capsys)
    assert rows["config"] == ("FAIL", f"{setup.folder / 'bad-folder.yml'}: client.certificate: {folder} is a folder, "
                                      "expected a file", "correct that key (`teafarm config check` checks it again)")

    # the bot machine's own server certificate, garbage
    server_pair = CertPair(setup.folder / "server-garbage.crt", setup.folder / "server-garbage.key")
    server_pair.certificate.write_bytes(b"garbage")
    shutil.copyfile(setup.certs / "server.key", server_pair.key)
    status, rows = doctor(setup.variant("bad-server-cert", server={"certificate": str(server_pair.certificate),
                                                                   "key": str(server_pair.key)}), capsys)
    assert rows["server certificate"][0] == "FAIL" and str(server_pair.certificate) in rows["server certificate"][1]
    assert rows["server certificate"][2]

    # a key this user may not read: root reads any mode, so a stand-in refuses it as the kernel would
    locked = setup.folder / "locked.key"
    shutil.copyfile(key, locked)
    locked.chmod(0)
    real_read_bytes = Path.read_bytes

    def refusing(path: Path) -> bytes:
        if path == locked:
            raise PermissionError(13, "Permission denied", str(path))
        return real_read_bytes(path)
    monkeypatch.setattr(Path, "read_bytes", refusing)
    monkeypatch.setattr("os.access", lambda path, mode, **kw: Path(path) != locked)
    status, rows = doctor(setup.with_client_files("locked", setup.certs / f"{MACHINE}.crt", locked), capsys)
    assert status == 1
    assert rows["client key"] == ("FAIL", f"{locked} is not readable by this user",
                                  "run teafarm (and doctor) as the user that owns it"), rows
    assert rows["server"][0] == "FAIL" and str(locked) in rows["server"][1] and rows["server"][2], rows


class RawListener:
    """Accepts TCP, says `answer` (garbage, or nothing) and then holds the connection open until stopped."""

    def __init__(self, answer: bytes = b"") -> None:
        import socket
        import threading

        self.answer, self.held, self.stopped = answer, [], threading.Event()
        self.server = socket.create_server(("127.0.0.1", 0))
        self.port = self.server.getsockname()[1]
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self) -> None:
        while True:
            try:
                connection, _ = self.server.accept()
                self.held.append(connection)
                connection.sendall(self.answer)
            except OSError:
                return

    def stop(self) -> None:
        self.server.close()
        for connection in self.held:
            connection.close()


def test_a_silent_server_and_chia_ports_answering_garbage_fail_in_bounded_time(setup, capsys, monkeypatch):
    from teafarm.doctor import server

    monkeypatch.setattr(server, "TIMEOUT", 1.0)      # the probe's bound; a hang would outlive wait_until below
    silent, garbage = RawListener(), RawListener(b"\x00\xffHTTP/9 garbage\r\n\r\n" * 100)
    hung_chia = RawListener()
    chia_root = setup.folder / "garbage-chia"
    write_chia_root(chia_root, {"daemon": free_port(), "farmer": garbage.port, "harvester": hung_chia.port,
                                "full_node": free_port(), "wallet": free_port()})
    binary_chia = setup.folder / "binary-chia"
    write_chia_root(binary_chia, {})
    (binary_chia / "config" / "config.yaml").write_bytes(b"\xff\xfe\x00garbage" * 40)
    try:
        status, rows = doctor(setup.variant("silent", client={"server": f"127.0.0.1:{silent.port}"},
                                            chia={"enabled": True, "root": str(chia_root), "rpc_timeout": 1}), capsys)
        assert status == 1
        assert rows["server"][0] == "FAIL" and rows["server"][1].startswith(f"127.0.0.1:{silent.port}: "), rows
        assert "firewall" in rows["server"][2]
        assert rows["chia RPC"][0] == "FAIL" and "farmer get_version" in rows["chia RPC"][1], rows
        assert "harvester get_version: no answer in 1 s" in rows["chia RPC"][1] and rows["chia RPC"][2], rows
        status, rows = doctor(setup.variant("binary-chia", chia={"enabled": True, "root": str(binary_chia)}), capsys)
        assert rows["chia RPC"][0] == "FAIL" and str(binary_chia) in rows["chia RPC"][1] and rows["chia RPC"][2], rows
    finally:
        for listener in (silent, garbage, hung_chia):
            listener.stop()
