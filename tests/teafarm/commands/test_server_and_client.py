"""`teafarm server` and `teafarm client` as real processes over mutual TLS on 127.0.0.1."""
from __future__ import annotations

import stat

from tests.helpers.backbone import query
from tests.helpers.waiting import wait_until


def test_client_fills_the_state_tables_with_this_machine(farm, server):
    client = farm.start_client()
    try:
        wait_until(lambda: query(farm.database, "SELECT 1 FROM disk WHERE machine = 'testbox' AND mountpoint = '/'"),
                   30, "the root disk in the disk table")
        (cores, usage_type), = query(farm.database, "SELECT cores, typeof(usage_percent) FROM cpu WHERE machine = 'testbox'")
        assert cores >= 1 and usage_type == "real"
        (total, available), = query(farm.database, "SELECT total_bytes, available_bytes FROM ram WHERE machine = 'testbox'")
        assert total > available > 0
        (version, connected), = query(farm.database, "SELECT teafarm_version, connected FROM machines WHERE machine = 'testbox'")
        assert version and connected == 1
    finally:
        assert client.stop() == 0, client.log_text()
    assert "Traceback" not in client.log_text() + server.log_text()


def test_first_start_creates_ca_and_certificates_with_private_keys(farm, server):
    client = farm.start_client()
    try:
        wait_until(lambda: (farm.data_dir / "certs" / "testbox.crt").exists(), 20, "client certificate")
    finally:
        client.stop()
    certs = farm.data_dir / "certs"
    for key in ("ca.key", "server.key", "testbox.key"):
        assert stat.S_IMODE((certs / key).stat().st_mode) == 0o600, key
    assert "created the farm CA in" in server.log_text()


def test_quiet_client_sends_heartbeats(farm, server):
    client = farm.start_client()
    try:
        first = wait_until(lambda: query(farm.database, "SELECT last_seen FROM machines WHERE machine = 'testbox'"), 30, "machine row")
        wait_until(lambda: query(farm.database, "SELECT last_seen FROM machines WHERE machine = 'testbox'")[0][0] > first[0][0] + 2,
                   20, "a later heartbeat")
    finally:
        client.stop()
