"""A 100,000-plot harvester syncs through the real stream, and resyncs from the server's state."""
from __future__ import annotations

import asyncio

from teafarm.apps import client_app
from monitor.client.collector import Collector
from protocol import chia_pb2
from teafarm.config import parse_config_file
from tests.helpers.backbone import query

PLOTS = 100_000


class SyntheticHarvester(Collector):
    """Stands in for the chia collector: a harvester with many plots."""
    name = "synthetic"
    topics = ("plots",)

    def __init__(self, count: int) -> None:
        super().__init__()
        self.plots = [chia_pb2.Plot(id=f"{i:064x}", harvester_node_id="ab" * 32, k=32, compression=i % 8,
                                    filename=f"/mnt/disk{i % 40:02d}/plot-k32-2026-11-28-{i:064x}.plot",
                                    file_size=108_800_000_000, status=chia_pb2.VALID, disk=f"/mnt/disk{i % 40:02d}")
                      for i in range(count)]

    async def collect(self, snapshot) -> None:
        snapshot.plots.extend(self.plots)


async def _run_client(config, collector, until) -> None:
    app = client_app(config, collectors=[collector])
    await app.start()
    try:
        for _ in range(600):
            if await asyncio.to_thread(until):
                return
            await asyncio.sleep(0.2)
        raise AssertionError("timed out waiting for the sync")
    finally:
        await app.stop()


def test_100k_plots_sync_and_a_lost_outbox_resyncs_without_re_adding(farm, server):
    config = parse_config_file(farm.config)
    harvester = SyntheticHarvester(PLOTS)
    count = "SELECT COUNT(*) FROM plot WHERE machine = 'testbox'"
    asyncio.run(_run_client(config, harvester, lambda: query(farm.database, count)[0][0] == PLOTS))
    assert query(farm.database, "SELECT COUNT(*) FROM plot_events") == [(PLOTS,)]
    assert query(farm.database, "SELECT filename, compression FROM plot WHERE id = ?", (f"{7:064x}",)) == \
        [(f"/mnt/disk07/plot-k32-2026-11-28-{7:064x}.plot", 7)]

    # the client's outbox is lost (a reinstalled OS): it must take the server's state as its base
    (farm.data_dir / "client-outbox.db").unlink()
    del harvester.plots[:10]
    deleted = "SELECT COUNT(*) FROM plot_events WHERE event_type = 'DELETE'"
    asyncio.run(_run_client(config, harvester, lambda: query(farm.database, deleted)[0][0] == 10))
    assert query(farm.database, "SELECT COUNT(*) FROM plot_events WHERE event_type = 'ADD'") == [(PLOTS,)]
    assert query(farm.database, count) == [(PLOTS - 10,)]
