"""The SMART alerts (disk_failing, disk_reallocated_sectors, disk_hot) and /disks, on what the real
collector reads from the stand-in smartctl, sent through the real server. The common behaviour of every
alert (once, reminders, recovery, mutes, grace) is in test_alert_rules.py."""
from __future__ import annotations

import asyncio
import itertools
from pathlib import Path


from bot import render
from bot.alerts.botdb import connect_botdb
from bot.alerts.settings import AlertSettings
from bot.commands.base import CommandContext
from bot.commands.dispatch import Dispatcher
from bot.transports.base import Incoming
from monitor.client.diff import diff_topic, state_of
from monitor.client.smart import SmartCollector
from monitor.store.reader import StoreReader
from protocol import events_pb2
from protocol.registry import BY_NAME
from tests.helpers import stand_in_smartctl
from tests.helpers.alert_harness import text_of
from tests.helpers.backbone import event
from tests.helpers.farm import UPDATE

FARM = {"/dev/sda": ["sat", "sata-healthy.json"], "/dev/sdb": ["sat", "sata-failing.json"], "/dev/sdc": ["sat", "sata-hot.json"],
        "/dev/nvme0": ["nvme", "nvme-healthy.json"], "/dev/nvme1": ["nvme", "nvme-hot.json"], "/dev/nvme2": ["nvme", "nvme-failing.json"]}
_numbers = itertools.count(1)


def stand_in(tmp_path, devices: dict) -> Path:
    return stand_in_smartctl.install(tmp_path / "smartctl", {"devices": devices})


def collected(monkeypatch, path: Path) -> list[events_pb2.UpdateEvent]:
    """What a new client would send with `path` as PATH: the real collector runs the smartctl found
    there (or none), the real diff makes the events."""
    monkeypatch.setenv("PATH", str(path))
    collector = SmartCollector(600)

    async def go():
        await collector.read_once()
        part = events_pb2.ComputerInfo()
        await collector.collect(part)
        await collector.stop()
        return part
    state = state_of(asyncio.run(go()))
    return [e for name in ("smart", "smart_disk") for e in diff_topic(BY_NAME[name], {}, state[name], 0.0)]


def texts(replies) -> str:
    return "\n".join(text_of(r) for r in replies)


def disk(serial: str, kind=events_pb2.ADD, **fields) -> events_pb2.UpdateEvent:
    values = dict(id=serial, device="/dev/sdd", device_type="sat", model="ST8000VN004", health=1, temperature_c=35.0,
                  reallocated_sectors=0, pending_sectors=0, power_on_hours=100)
    return event("smart_disk", kind, **{**values, **fields})


def test_failing_and_hot_disks_read_by_the_client_alert_through_the_real_server(server, harness, tmp_path, monkeypatch):
    machine = f"harvester-{next(_numbers)}"
    h = harness()
    server.send(machine, *collected(monkeypatch, stand_in(tmp_path, FARM)))
    text = texts(h.run())
    assert f"/dev/sdb (WDC  WUH721414ALE6L4, serial 9JG4K2ZT) on {machine}: SMART overall health FAILED " \
           f"(1,216 reallocated, 24 pending sectors)" in text
    assert f"/dev/nvme2 (CT1000P2SSD8, serial 2133E5A1B2C3) on {machine}: SMART overall health FAILED" in text
    assert f"/dev/sdc (TOSHIBA MG09ACA18TE, serial X1K0A0F2FJDH) on {machine} is at 58 °C (alert at 55 °C)" in text
    assert f"/dev/nvme1 (WD_BLACK SN850X 2000GB, serial 22471K801234) on {machine} is at 79 °C (alert at 75 °C)" in text
    assert "ZL2ABC12" not in text and "S6B0NL0T615230M" not in text, "healthy disks say nothing"
    assert "Reallocated" not in text, "the sectors a disk arrives with are its history, not news"
    assert text.count("Disk failing") == 2 and text.count("Disk hot") == 2


def test_reallocated_sectors_alert_once_per_growth_of_the_configured_step(server, harness):
    machine = f"harvester-{next(_numbers)}"
    every, coarse = harness(), harness(reallocated_growth=10)
    server.send(machine, disk("WD1", reallocated_sectors=8), disk("WD1", UPDATE, reallocated_sectors=8, temperature_c=36.0))
    assert every.run() == [] and coarse.run() == []
    server.send(machine, disk("WD1", UPDATE, reallocated_sectors=9, pending_sectors=3))
    grew = every.run()
    assert len(grew) == 1 and f"/dev/sdd (ST8000VN004, serial WD1) on {machine}: reallocated sectors 8 -> 9, 3 pending" in text_of(grew[0])
    assert coarse.run() == [], "1 more sector is below a step of 10"
    server.send(machine, disk("WD1", UPDATE, reallocated_sectors=19))
    assert "reallocated sectors 9 -> 19" in texts(every.run())
    assert "reallocated sectors 8 -> 19" in texts(coarse.run()), "counted from its last alert (here: first sight)"
    server.send(machine, disk("WD1", UPDATE, reallocated_sectors=19, standby=True))
    assert every.run() == [] and coarse.run() == [], "a disk asleep keeps its values: nothing new"


def test_nvme_drives_have_their_own_hot_threshold_and_recovery_needs_a_margin(server, harness):
    machine = f"harvester-{next(_numbers)}"
    h = harness()
    server.send(machine, disk("NV1", device="/dev/nvme0", device_type="nvme", temperature_c=70.0),
                disk("SA1", temperature_c=56.0))
    text = texts(h.run())
    assert "serial SA1" in text and "serial NV1" not in text, "70 °C is normal for NVMe, hot for a hard disk"
    server.send(machine, disk("SA1", UPDATE, temperature_c=54.0))
    assert h.run() == [], "within 3 °C of the threshold it is not recovered yet"
    server.send(machine, disk("SA1", UPDATE, temperature_c=50.0))
    assert "Recovered: Disk hot" in texts(h.run())


def test_disks_command_shows_health_and_tells_no_data_from_healthy(server, tmp_path, monkeypatch):
    machine = f"harvester-{next(_numbers)}"
    server.send(machine, *collected(monkeypatch, stand_in(tmp_path, {k: FARM[k] for k in ("/dev/sda", "/dev/sdb", "/dev/nvme0")})))
    bare, empty = f"plotter-{next(_numbers)}", tmp_path / "empty"
    empty.mkdir()
    server.send(bare, *collected(monkeypatch, empty))      # no smartctl on this one
    d = Dispatcher(lambda: CommandContext(StoreReader(server.database), connect_botdb(tmp_path / "bot.db"), AlertSettings()))
    try:
        ask = lambda text: render.plain(d.run(Incoming("console", "c", "u1", "alice", text, is_dm=True)))
        shown = ask(f"/disks {machine}")
        assert "SMART /dev/sda ST16000NM001G-2KK103 (serial ZL2ABC12): PASSED, 34 °C, 0 reallocated, 0 pending, 12,345 h" in shown
        assert "SMART /dev/sdb WDC  WUH721414ALE6L4 (serial 9JG4K2ZT): FAILED, 41 °C, 1,216 reallocated, 24 pending, 41,877 h" in shown
        assert "SMART /dev/nvme0 Samsung SSD 980 PRO 2TB (serial S6B0NL0T615230M): PASSED, 41 °C, 4,321 h" in shown
        assert ask(f"/disks {bare}").endswith("SMART: no data (smartctl is not installed (package smartmontools))")
    finally:
        d.close()
