"""ChiaRpc against a local HTTPS server with mutual TLS answering recorded chia 2.7.5 payloads."""
from __future__ import annotations

import asyncio
import hashlib
import ssl

import pytest

from monitor.client.chia.chia_root import ChiaRoot, default_chia_root, node_id_hex
from monitor.client.chia.collector import ChiaCollector
from monitor.client.chia.rpc import ChiaRpc, RpcFailed, ServiceDown
from monitor.client.chia.settings import ChiaSettings
from tests.helpers.fake_chia import Hang, Raw, Status, recorded, write_chia_root


def call(root, service, endpoint, body=None, timeout=5.0, **kwargs):
    async def run():
        rpc = ChiaRpc(ChiaRoot.load(root), service, timeout)
        try:
            return await rpc.call(endpoint, body, **kwargs)
        finally:
            await rpc.close()
    return asyncio.run(run())


def test_recorded_answers_come_back_as_chia_sent_them(chia_root, fake_chia):
    root, _ = chia_root
    fake_chia.start(("farmer", "harvester"))
    summary = call(root, "farmer", "get_harvesters_summary")
    assert summary == recorded()["farmer.get_harvesters_summary"]["response"]
    plots = call(root, "harvester", "get_plots")
    assert plots["plots"][0]["plot_id"].startswith("0x275840a3")
    assert fake_chia.calls == [("farmer", "get_harvesters_summary"), ("harvester", "get_plots")]


def test_ports_and_certificates_come_from_chias_config(chia_root):
    root, ports = chia_root
    chia = ChiaRoot.load(root)
    assert chia.installed and chia.network == "testnet11"
    assert {s: chia.rpc_port(s) for s in ports} == ports
    assert chia.cert_and_key("harvester")[0] == root / "config/ssl/harvester/private_harvester.crt"
    assert chia.log_level("farmer") == "INFO"


def test_defaults_where_chia_is_not_installed(tmp_path, monkeypatch):
    missing = ChiaRoot.load(tmp_path / "nothing")
    assert not missing.installed
    assert missing.rpc_port("farmer") == 8559 and missing.rpc_port("daemon") == 55400
    assert missing.harvester_node_id() is None
    monkeypatch.setenv("CHIA_ROOT", str(tmp_path / "env-root"))
    assert default_chia_root("") == tmp_path / "env-root"
    assert default_chia_root("/x/y") == tmp_path.__class__("/x/y")


def test_harvester_node_id_is_sha256_of_the_certificate_der(chia_root):
    root, _ = chia_root
    pem = (root / "config/ssl/harvester/private_harvester.crt").read_text()
    expected = hashlib.sha256(ssl.PEM_cert_to_DER_cert(pem)).hexdigest()
    assert ChiaRoot.load(root).harvester_node_id() == expected
    assert len(expected) == 64 and expected == expected.lower()


def test_node_ids_lose_0x_and_case():
    assert node_id_hex("0x6348B901") == "6348b901"
    assert node_id_hex("6348b901") == "6348b901"
    assert node_id_hex(None) == ""


def test_a_stopped_service_is_service_down(chia_root):
    root, _ = chia_root
    with pytest.raises(ServiceDown):
        call(root, "wallet", "get_sync_status")


def test_chia_error_answer_is_rpc_failed_with_chias_message(chia_root, fake_chia):
    root, _ = chia_root
    fake_chia.routes["farmer"]["get_reward_targets"] = recorded()[
        "farmer.get_reward_targets(without search_for_private_key -> error, via `chia rpc farmer get_reward_targets`)"]["response"]
    fake_chia.start(("farmer",))
    with pytest.raises(RpcFailed, match="search_for_private_key"):
        call(root, "farmer", "get_reward_targets")
    with pytest.raises(RpcFailed, match="HTTP 404"):
        call(root, "farmer", "no_such_endpoint")


@pytest.mark.parametrize("answer, message", [
    (Status(500, "Internal Server Error"), "HTTP 500"),
    (Raw(b"{not json"), "not JSON"),
    (Raw(b"[1, 2]"), "not an object"),
])
def test_odd_answers_are_rpc_failed(chia_root, fake_chia, answer, message):
    root, _ = chia_root
    fake_chia.routes["farmer"]["get_signage_points"] = answer
    fake_chia.start(("farmer",))
    with pytest.raises(RpcFailed, match=message):
        call(root, "farmer", "get_signage_points")


def test_a_hanging_service_times_out(chia_root, fake_chia):
    root, _ = chia_root
    fake_chia.routes["harvester"]["get_plots"] = Hang(2)
    fake_chia.start(("harvester",))
    with pytest.raises(RpcFailed, match="no answer in 0.5 s"):
        call(root, "harvester", "get_plots", timeout=0.5)


def test_a_client_certificate_from_another_ca_is_refused(chia_root, fake_chia, tmp_path):
    root, ports = chia_root
    fake_chia.start(("farmer",))
    stranger = tmp_path / "stranger"
    write_chia_root(stranger, ports)   # same ports, its own CA: the server must refuse it
    with pytest.raises(RpcFailed):
        call(stranger, "farmer", "get_harvesters_summary")


def test_object_hook_shrinks_a_large_answer_while_it_is_parsed(chia_root, fake_chia):
    root, _ = chia_root
    fake_chia.start(("harvester",))
    answer = call(root, "harvester", "get_plots", object_hook=lambda d: d.get("plot_id", d))
    assert answer["plots"][0] == "0x275840a35754dd7b5355792611e5fdd7a3c93af47b46f868cdb231366edfc1b2"


def test_chias_config_is_parsed_again_only_when_it_changed(chia_root):
    root, ports = chia_root
    collector = ChiaCollector(ChiaSettings(root=str(root)))
    first = collector.root
    assert collector._reload_root() is first                 # untouched: the same parsed config
    config = root / "config" / "config.yaml"
    config.write_text(config.read_text().replace(str(ports["farmer"]), "1"))
    assert collector._reload_root().rpc_port("farmer") == 1
