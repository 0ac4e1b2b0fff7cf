"""The real chia farm of the real-chia tests: chia-blockchain 2.7.5 (farmer + harvester, k18 plots,
testnet11) in a private CHIA_ROOT, a stand-in full node peer for signage points (offline there is no
timelord), and a teafarm server and client watching it. Started once for the package
(tests/monitor/client/chia/conftest.py: `real_farm`), since starting chia costs half a minute."""
from __future__ import annotations

import subprocess
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import pytest

from monitor.client.chia.chia_root import ChiaRoot
from tests.helpers.backbone import TeafarmProcess, query
from tests.helpers.chia_env import STAND_IN_FULL_NODE, ChiaEnv, busy_default_ports, ensure_chia_venv
from tests.helpers.farm import Farm
from tests.helpers.ports import free_port
from tests.helpers.waiting import wait_until

PLOTS = {"main": 3, "extra": 2}
GAP_AT = 12          # the stand-in jumps the signage point index before its 12th SP


@dataclass
class RealFarm:
    """A teafarm farm (server and one client) watching a real chia farmer and harvester."""
    chia: ChiaEnv
    teafarm: Farm
    node_id: str
    client: TeafarmProcess

    @property
    def database(self) -> Path:
        return self.teafarm.database

    @property
    def server(self) -> TeafarmProcess:
        return self.teafarm.process

    def harvester(self) -> tuple | None:
        rows = query(self.database, "SELECT connected, plots, invalid_plots FROM harvester WHERE id = ?", (self.node_id,))
        return rows[0] if rows else None

    def logs(self) -> str:
        return f"--- client log ---\n{self.client.log_text()[-4000:]}\n--- server log ---\n{self.server.log_text()[-2000:]}"


@contextmanager
def started_real_farm(tmp_path_factory) -> Iterator[RealFarm]:
    busy = busy_default_ports()
    if busy:
        pytest.fail(f"chia's default ports {busy} are in use: a chia farm may run on this machine; the real-chia "
                    "tests refuse to start beside it")
    base = tmp_path_factory.mktemp("real-chia")
    port = free_port()          # teafarm's; chia's private ports keep clear of it
    chia = ChiaEnv(base, ensure_chia_venv(), avoid_ports={port})
    teafarm = Farm.create(base, port, chia={"enabled": True, "root": str(chia.root), "poll_interval": 2.0})
    farm = None
    stand_in = None
    try:
        chia.setup(PLOTS)
        chia.start("harvester", "farmer-only")
        config = chia.config()
        stand_in_log = open(base / "stand-in.log", "wb")
        stand_in = subprocess.Popen(
            [chia.python, str(STAND_IN_FULL_NODE), "--port", str(chia.full_node_peer_port),
             "--rpc-port", str(config["full_node"]["rpc_port"]), "--interval", "1.0", "--skip-at", str(GAP_AT)],
            env=chia.env, stdout=stand_in_log, stderr=subprocess.STDOUT)
        wait_until(lambda: b"listening on" in (base / "stand-in.log").read_bytes() or stand_in.poll() is not None,
                   60, "the stand-in full node")
        assert stand_in.poll() is None, (base / "stand-in.log").read_text()
        teafarm.start()
        node_id = ChiaRoot.load(chia.root).harvester_node_id()
        assert node_id
        farm = RealFarm(chia, teafarm, node_id, teafarm.start_client())
        yield farm
    finally:
        if farm is not None:
            farm.client.stop()           # the one running now: a test may have restarted it
        teafarm.stop()
        if stand_in is not None:
            stand_in.kill()
            stand_in.wait()
        chia.teardown()
