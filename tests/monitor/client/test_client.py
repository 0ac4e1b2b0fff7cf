"""The client's diff, throttle and collector isolation, against a real server."""
from __future__ import annotations

import asyncio

from teafarm.apps import client_app
from monitor.client.collector import Collector
from protocol import hardware_pb2
from teafarm.config import parse_config_file
from tests.helpers.backbone import query, write_config
from tests.helpers.waiting import wait_until


class Scripted(Collector):
    """Fills what the test says; raises when told to."""

    def __init__(self, name: str, topics: tuple[str, ...]) -> None:
        super().__init__()
        self.name, self.topics = name, topics
        self.ram_used = 0
        self.disks: list[str] = []
        self.fail = False

    async def collect(self, snapshot) -> None:
        if self.fail:
            raise OSError(5, "Input/output error")
        if "ram" in self.topics:
            snapshot.ram.CopyFrom(hardware_pb2.Ram(total_bytes=100, used_bytes=self.ram_used))
        for mount in self.disks:
            snapshot.disks.add(id=mount, mountpoint=mount)


async def _with_client(config, collectors, script) -> None:
    app = client_app(config, collectors=collectors)
    await app.start()
    try:
        await asyncio.wait_for(app.uplink.resynced.wait(), 30)
        await asyncio.wait_for(_first_snapshot(app), 30)   # the loop's own, before the script's: a fixed order
        await script(app)
        await asyncio.wait_for(_drained(app), 30)
    finally:
        await app.stop()


async def _first_snapshot(app) -> None:
    while not any(app.base.values()):
        await asyncio.sleep(0.05)


async def _drained(app) -> None:
    while app.outbox.pending_count():
        await asyncio.sleep(0.05)


def test_a_throttled_update_is_sent_later_never_lost(farm, server, tmp_path):
    write_config(tmp_path, farm.port, client={"interval": 3600, "throttle": {"ram": 1.0}})
    config = parse_config_file(farm.config)
    ram, disks = Scripted("ram", ("ram",)), Scripted("disks", ("disks",))

    async def script(app):                    # the loop's first snapshot sent the ADD
        ram.ram_used = 1
        await app.snapshot_once()             # UPDATE, sent
        ram.ram_used = 2
        await app.snapshot_once()             # UPDATE held back by the throttle
        disks.disks = ["/mnt/new"]
        await app.snapshot_once()             # another topic's event in the same cycle must not swallow it
        await asyncio.sleep(1.1)
        await app.snapshot_once()             # due again: the held-back value goes out

    asyncio.run(_with_client(config, [ram, disks], script))
    assert query(farm.database, "SELECT event_type, used_bytes FROM ram_events ORDER BY seq") == [("ADD", 0), ("UPDATE", 1), ("UPDATE", 2)]
    assert query(farm.database, "SELECT event_type, id FROM disk_events") == [("ADD", "/mnt/new")]


def test_a_failing_collector_keeps_its_last_state_and_the_others_go_on(farm, server, tmp_path):
    write_config(tmp_path, farm.port, client={"interval": 3600, "throttle": {}})
    config = parse_config_file(farm.config)
    ram, disks = Scripted("ram", ("ram",)), Scripted("disks", ("disks",))
    disks.disks = ["/mnt/a", "/mnt/b"]

    async def script(app):
        ram.ram_used = 1
        await app.snapshot_once()
        disks.fail, ram.ram_used = True, 2
        await app.snapshot_once()             # the disks are not "deleted" because their collector failed
        await app.snapshot_once()
        disks.fail, disks.disks = False, ["/mnt/a"]
        await app.snapshot_once()             # working again: the real change goes out

    asyncio.run(_with_client(config, [ram, disks], script))
    assert query(farm.database, "SELECT event_type, id FROM disk_events ORDER BY seq") == \
        [("ADD", "/mnt/a"), ("ADD", "/mnt/b"), ("DELETE", "/mnt/b")]
    assert query(farm.database, "SELECT used_bytes FROM ram") == [(2,)]
    log = (farm.folder / "server.log").read_text()
    assert "Traceback" not in log


def test_a_collector_that_hangs_does_not_stop_the_snapshot(farm, server, tmp_path, monkeypatch):
    write_config(tmp_path, farm.port, client={"interval": 3600})
    config = parse_config_file(farm.config)
    monkeypatch.setattr("monitor.client.app.COLLECT_TIMEOUT", 0.5)

    class Hung(Collector):
        name, topics = "hung", ("processes",)

        async def collect(self, snapshot) -> None:
            await asyncio.sleep(3600)

    ram = Scripted("ram", ("ram",))
    ram.ram_used = 7

    async def script(app):
        await app.snapshot_once()

    asyncio.run(_with_client(config, [Hung(), ram], script))
    wait_until(lambda: query(farm.database, "SELECT used_bytes FROM ram") == [(7,)], 10, "ram from the healthy collector")


def test_stop_ends_the_loops_and_does_not_wait_for_a_collector_that_ignores_it(farm, server, tmp_path, monkeypatch):
    """A wake-up at the moment of the stop: Python 3.11's wait_for swallowed the cancellation that
    came with it, the snapshot loop ran on and stop never returned. A collector whose stop ignores
    its cancellation (a thread stuck on a dead disk) is left behind, not waited for."""
    write_config(tmp_path, farm.port, client={"interval": 3600})
    config = parse_config_file(farm.config)
    monkeypatch.setattr("monitor.client.app.STOP_TIMEOUT", 0.5)

    class StuckStop(Collector):
        name, topics = "stuck", ()

        def __init__(self) -> None:
            super().__init__()
            self.released = asyncio.Event()      # the dead disk comes back: only then does its stop end

        async def collect(self, snapshot) -> None:
            pass

        async def stop(self) -> None:
            try:
                await self.released.wait()
            except asyncio.CancelledError:
                await self.released.wait()

    ram, stuck = Scripted("ram", ("ram",)), StuckStop()
    ram.ram_used = 1

    async def scenario() -> list[str]:
        app = client_app(config, collectors=[ram, stuck])
        await app.start()
        await asyncio.wait_for(app.uplink.resynced.wait(), 30)
        while "ram" not in app.base:             # the first snapshot is queued: the loop waits for a wake-up now
            await asyncio.sleep(0.05)
        ram.wake()
        await asyncio.wait_for(app.stop(), 30)
        running = sorted(t.get_name() for t in asyncio.all_tasks() if t is not asyncio.current_task())
        stuck.released.set()
        return running

    assert asyncio.run(scenario()) == ["collector stuck"]
