"""A TLS rejection reads as what it is ("certificate not trusted: ...", "name mismatch: ..."), in
`monitor.tls.diagnose` and in the client's log, never as "unreachable" with gRPC's handshake lines;
`teafarm certs server` and `certs init --force` repair what they name."""
from __future__ import annotations

import pytest
from cryptography import x509

from monitor.certs import CertPair, ca_pair, create_ca, issue
from monitor.tls import diagnose
from teafarm.typed_config import ConfigError
from tests.helpers.backbone import TeafarmProcess, client_pair
from tests.helpers.waiting import wait_until


def test_each_tls_failure_is_named(farm_server, tmp_path):
    ca = farm_server.settings.server_settings().ca
    target = f"127.0.0.1:{farm_server.app.port}"
    own = client_pair(farm_server.data_dir, "box-1")
    assert diagnose(target, own, ca) is None

    stranger_ca = CertPair(tmp_path / "ca.crt", tmp_path / "ca.key")
    create_ca(stranger_ca)
    stranger = client_pair(tmp_path, "box-1", ca=stranger_ca)
    assert diagnose(target, stranger, ca).startswith(
        f"certificate not trusted: the server refused this machine's certificate {stranger.certificate}")
    assert diagnose(target, own, stranger_ca.certificate).startswith(
        f"certificate not trusted: the server's certificate is not signed by the farm CA in {stranger_ca.certificate}")


def test_a_server_certificate_without_the_name_clients_use_is_a_name_mismatch_until_certs_server(farm_server):
    settings = farm_server.settings.server_settings()
    # what `teafarm certs init --names farm-bot` made before: the local names left out
    issue(ca_pair(farm_server.data_dir), CertPair(settings.certificate, settings.key), "teafarm server", ["farm-bot"], server=True)
    farm_server.restart()
    target = f"127.0.0.1:{farm_server.app.port}"
    assert diagnose(target, client_pair(farm_server.data_dir, "box-2"), settings.ca) == (
        "name mismatch: the server's certificate is for farm-bot, not 127.0.0.1 "
        "(on the server: teafarm certs server --names 127.0.0.1)")

    client = TeafarmProcess(["client", "--config", str(farm_server.config)], farm_server.config.parent / "client.log")
    try:
        wait_until(lambda: "name mismatch" in client.log_text(), 60, "the client's log to name the mismatch")
        log = client.log_text()
        assert f"server {target}: name mismatch: the server's certificate is for farm-bot, not 127.0.0.1" in log
        assert "unreachable" not in log and "ssl_transport_security" not in log and "Handshake" not in log, log

        printed = farm_server.cli("certs", "server", "--names", "farm-bot")
        assert "for farm-bot, localhost, 127.0.0.1, ::1" in printed and "from its next start" in printed
        farm_server.restart()
        wait_until(lambda: "connected to" in client.log_text(), 60, "the client to connect after the restart")
    finally:
        assert client.stop() == 0, client.log_text()


def test_certs_init_force_replaces_the_ca_and_reissues_this_machines_client_certificate(farm_server):
    with pytest.raises(ConfigError, match="a farm CA exists already: `teafarm certs server --names NAME...`"):
        farm_server.cli("certs", "init")
    printed = farm_server.cli("certs", "init", "--force", "--names", "farm-bot")
    ca = x509.load_pem_x509_certificate(ca_pair(farm_server.data_dir).certificate.read_bytes())
    for name in ("server", "testbox"):     # testbox: this machine's client (write_config's machine_name)
        x509.load_pem_x509_certificate((farm_server.data_dir / "certs" / f"{name}.crt").read_bytes()) \
            .verify_directly_issued_by(ca)
    assert "this machine's client certificate" in printed
    farm_server.restart()       # the CA is new: the other tests of this module come first
