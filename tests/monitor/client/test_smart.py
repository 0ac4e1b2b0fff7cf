"""SMART through a stand-in smartctl on PATH that answers with recorded or faithful smartctl 7.3 JSON
(tests/data/smartctl): healthy, failing and hot SATA and NVMe disks, a disk in standby, a smartctl that
hangs, one that is missing and one that is refused (CI runs as root: the refusal is the stand-in's)."""
from __future__ import annotations

import asyncio
import logging

import pytest

from monitor.client.smart import SmartCollector
from protocol import events_pb2, hardware_pb2
from teafarm.apps import client_app
from teafarm.config import parse_config_file
from tests.helpers import stand_in_smartctl
from tests.helpers.backbone import query, write_config

PASSED, FAILED = hardware_pb2.SMART_HEALTH_PASSED, hardware_pb2.SMART_HEALTH_FAILED
FARM = {"/dev/sda": ["sat", "sata-healthy.json"], "/dev/sdb": ["sat", "sata-failing.json"], "/dev/sdc": ["sat", "sata-hot.json"],
        "/dev/nvme0": ["nvme", "nvme-healthy.json"], "/dev/nvme1": ["nvme", "nvme-hot.json"], "/dev/nvme2": ["nvme", "nvme-failing.json"]}


@pytest.fixture
def smartctl(tmp_path, monkeypatch):
    """Put the stand-in alone on PATH (the machine's own smartctl must not answer); returns its folder."""
    folder = tmp_path / "smartctl"
    monkeypatch.setenv("PATH", str(stand_in_smartctl.install(folder, {"devices": FARM})))
    return folder


def read(collector: SmartCollector, rounds: int = 1) -> tuple[events_pb2.ComputerInfo, object]:
    """Run `rounds` reads, then one collect: the snapshot part and what the collector kept."""
    async def go():
        for _ in range(rounds):
            await collector.read_once()
        part = events_pb2.ComputerInfo()
        kept = await collector.collect(part)
        await collector.stop()
        return part, kept
    return asyncio.run(go())


def by_serial(part: events_pb2.ComputerInfo) -> dict[str, hardware_pb2.SmartDisk]:
    return {d.id: d for d in part.smart_disks}


def test_healthy_failing_and_hot_disks_sata_and_nvme_keyed_by_serial(smartctl):
    part, kept = read(SmartCollector(600))
    assert kept is None
    assert part.smart.available and part.smart.smartctl_version == "7.3"
    disks = by_serial(part)
    assert sorted(disks) == ["2133E5A1B2C3", "22471K801234", "9JG4K2ZT", "S6B0NL0T615230M", "X1K0A0F2FJDH", "ZL2ABC12"]
    healthy, failing, hot = disks["ZL2ABC12"], disks["9JG4K2ZT"], disks["X1K0A0F2FJDH"]
    assert (healthy.device, healthy.device_type, healthy.model) == ("/dev/sda", "sat", "ST16000NM001G-2KK103")
    assert (healthy.health, healthy.temperature_c, healthy.reallocated_sectors, healthy.pending_sectors, healthy.power_on_hours,
            healthy.capacity_bytes, healthy.exit_status) == (PASSED, 34.0, 0, 0, 12345, 16000900661248, 0)
    assert (failing.health, failing.reallocated_sectors, failing.pending_sectors, failing.power_on_hours,
            failing.exit_status) == (FAILED, 1216, 24, 41877, 8 | 16 | 64 | 128)
    assert (hot.health, hot.temperature_c, hot.reallocated_sectors) == (PASSED, 58.0, 8)
    nvme, nvme_hot, nvme_failing = disks["S6B0NL0T615230M"], disks["22471K801234"], disks["2133E5A1B2C3"]
    assert (nvme.device, nvme.device_type, nvme.health, nvme.temperature_c, nvme.power_on_hours) == \
        ("/dev/nvme0", "nvme", PASSED, 41.0, 4321)
    assert (nvme.reallocated_sectors, nvme.pending_sectors) == (-1, -1), "NVMe has no sector counts: not reported, not 0"
    assert (nvme_hot.health, nvme_hot.temperature_c) == (PASSED, 79.0)
    assert (nvme_failing.health, nvme_failing.exit_status) == (FAILED, 8)
    reads = [c for c in stand_in_smartctl.calls(smartctl) if "-a" in c]
    assert len(reads) == 6 and all(c[:4] == ["--json", "-a", "-n", "standby"] and c[4] == "-d" for c in reads), reads


def test_a_disk_in_standby_keeps_its_last_values_and_is_not_woken(smartctl):
    collector = SmartCollector(600)

    async def go():
        await collector.read_once()                          # awake: read
        stand_in_smartctl.write_scene(smartctl, {"devices": {**FARM, "/dev/sdc": ["sat", "sata-standby.json"]}})
        await collector.read_once()                          # asleep: smartctl stops before touching it
        part = events_pb2.ComputerInfo()
        await collector.collect(part)
        await collector.stop()
        return part
    hot = by_serial(asyncio.run(go()))["X1K0A0F2FJDH"]
    assert hot.standby and not hot.error
    assert (hot.device, hot.health, hot.temperature_c, hot.reallocated_sectors, hot.power_on_hours) == ("/dev/sdc", PASSED, 58.0, 8, 20411)
    assert all("-n" in c and c[c.index("-n") + 1] == "standby" for c in stand_in_smartctl.calls(smartctl) if "/dev/sdc" in c)


def test_a_disk_asleep_since_the_start_keeps_the_servers_row(smartctl):
    stand_in_smartctl.write_scene(smartctl, {"devices": {"/dev/sda": FARM["/dev/sda"], "/dev/sdc": ["sat", "sata-standby.json"]}})
    part, kept = read(SmartCollector(600))
    assert list(by_serial(part)) == ["ZL2ABC12"]             # nothing made up for the sleeping disk ...
    keep = kept["smart_disks"]                               # ... and its last row on the server is not deleted
    assert keep(hardware_pb2.SmartDisk(id="X1K0A0F2FJDH", device="/dev/sdc"))
    assert not keep(hardware_pb2.SmartDisk(id="OLD", device="/dev/sdq"))


def test_a_hanging_smartctl_is_killed_and_costs_only_its_own_disk(smartctl):
    collector = SmartCollector(600, timeout=3.0)

    async def go():
        await collector.read_once()
        stand_in_smartctl.write_scene(smartctl, {"devices": {**FARM, "/dev/sdb": ["sat", "hang"]}})
        await collector.read_once()                          # the dying disk's smartctl never answers
        part = events_pb2.ComputerInfo()
        await collector.collect(part)
        await collector.stop()
        return part
    disks = by_serial(asyncio.run(go()))
    dying = disks["9JG4K2ZT"]
    assert dying.error.startswith("not responding") and dying.health == FAILED and dying.reallocated_sectors == 1216
    assert disks["ZL2ABC12"].health == PASSED and not disks["ZL2ABC12"].error and len(disks) == 6


def test_missing_smartctl_is_reported_once_as_no_data(tmp_path, monkeypatch, caplog):
    empty = tmp_path / "empty"
    empty.mkdir()
    monkeypatch.setenv("PATH", str(empty))
    with caplog.at_level(logging.INFO, logger="monitor.client.smart"):
        part, _ = read(SmartCollector(600), rounds=3)
    assert not part.smart.available and "smartctl is not installed" in part.smart.reason
    assert part.HasField("smart") and not part.smart_disks
    assert len(caplog.records) == 1, "one log line, not one per read"


@pytest.mark.parametrize("refusal", [
    {"devices": {"/dev/sda": ["sat", "sata-healthy.json"], "/dev/nvme0": ["nvme", "nvme-healthy.json"]},
     "scan_open_error": "Permission denied"},                                   # smartctl cannot open them to scan
    {"devices": {"/dev/sda": ["sat", "refused-sat.json"], "/dev/nvme0": ["nvme", "refused-nvme.json"]}},  # exit status 2
], ids=["at-scan", "at-read"])
def test_refused_smartctl_is_reported_once_as_no_data(smartctl, refusal, caplog):
    stand_in_smartctl.write_scene(smartctl, refusal)
    with caplog.at_level(logging.INFO, logger="monitor.client.smart"):
        part, _ = read(SmartCollector(600), rounds=2)
    assert not part.smart.available and "Permission denied" in part.smart.reason
    assert not part.smart_disks
    assert [r.levelname for r in caplog.records] == ["WARNING"]


def test_smart_reaches_the_store_through_a_real_client(farm, server, tmp_path, smartctl):
    write_config(tmp_path, farm.port, client={"interval": 3600, "smart_interval": 3600})
    config = parse_config_file(farm.config)
    collector = SmartCollector(3600)

    async def go():
        app = client_app(config, collectors=[collector])
        await app.start()
        try:
            await asyncio.wait_for(app.uplink.resynced.wait(), 30)
            await collector.read_once()
            await app.snapshot_once()
            while app.outbox.pending_count():
                await asyncio.sleep(0.05)
        finally:
            await app.stop()
    asyncio.run(go())
    assert query(farm.database, "SELECT available, smartctl_version FROM smart") == [(1, "7.3")]
    rows = query(farm.database, "SELECT id, device, health, temperature_c, reallocated_sectors FROM smart_disk ORDER BY id")
    assert ("9JG4K2ZT", "/dev/sdb", "SMART_HEALTH_FAILED", 41.0, 1216) in rows
    assert ("S6B0NL0T615230M", "/dev/nvme0", "SMART_HEALTH_PASSED", 41.0, -1) in rows and len(rows) == 6
