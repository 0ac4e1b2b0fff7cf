"""The real-chia group's guard: a port chia uses by default that is taken counts as a farm nearby."""
from __future__ import annotations

import socket

from tests.helpers.chia_env import DEFAULT_PORTS, _move_ports, busy_default_ports


def test_a_listener_on_a_default_chia_port_is_seen():
    with socket.socket() as listener:
        try:
            listener.bind(("127.0.0.1", 58444))
            listener.listen()
        except OSError:
            pass            # already taken by something else: it must be reported all the same
        assert 58444 in busy_default_ports()


def test_every_configured_port_moves_away_from_chias_defaults_consistently():
    config = {"daemon_port": 55400, "farmer": {"port": 8447, "rpc_port": 8559, "full_node_peers": [{"port": 58444}]},
              "harvester": {"rpc_port": 8560, "farmer_peers": [{"host": "localhost", "port": 8447}]},
              "full_node": {"port": 58444, "rpc_port": 8555}, "wallet": {"rpc_port": 9256}}
    mapping: dict[int, int] = {}
    _move_ports(config, mapping, avoid={12345})
    assert not set(mapping.values()) & set(DEFAULT_PORTS) and 12345 not in mapping.values()
    assert config["harvester"]["farmer_peers"][0]["port"] == config["farmer"]["port"] == mapping[8447]
    assert config["farmer"]["full_node_peers"][0]["port"] == config["full_node"]["port"] == mapping[58444]
    assert len(set(mapping.values())) == len(mapping)
