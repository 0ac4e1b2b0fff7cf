"""Physical disks' SMART health per machine (topics smart and smart_disk, keyed by serial):
the drive's own verdict, temperature, reallocated and pending sectors. A disk asleep keeps its
last values (reading SMART never wakes it)."""
from __future__ import annotations

from collections.abc import Iterator

from prometheus_client.core import GaugeMetricFamily, Metric

from bot.metrics.sources import Sources

DISK = ["machine", "serial"]


def collect(src: Sources) -> Iterator[Metric]:
    available = GaugeMetricFamily("teafarm_smart_available", "1 when the machine can read SMART (smartctl runs and may "
                                  "open the disks): no SMART data is not the same as healthy", labels=["machine"])
    for machine, ok in src.query("SELECT machine, available FROM smart"):
        available.add_metric([machine], 1 if ok else 0)
    yield available

    info = GaugeMetricFamily("teafarm_smart_disk_info", "Always 1: where the disk was read last and what it is",
                             labels=[*DISK, "device", "device_type", "model"])
    failed = GaugeMetricFamily("teafarm_smart_disk_failed", "1 when the drive's own SMART verdict is FAILED", labels=DISK)
    temperature = GaugeMetricFamily("teafarm_smart_disk_temperature_celsius", "Disk temperature (absent when not "
                                    "reported)", labels=DISK)
    reallocated = GaugeMetricFamily("teafarm_smart_disk_reallocated_sectors", "Reallocated sectors (absent where not "
                                    "reported, e.g. NVMe)", labels=DISK)
    pending = GaugeMetricFamily("teafarm_smart_disk_pending_sectors", "Sectors waiting to be reallocated (absent where "
                                "not reported)", labels=DISK)
    power_on = GaugeMetricFamily("teafarm_smart_disk_power_on_seconds", "Time the disk has been powered on", labels=DISK)
    standby = GaugeMetricFamily("teafarm_smart_disk_standby", "1 when the disk was asleep at the last read (its values "
                                "are from before)", labels=DISK)
    for r in src.query("SELECT machine, id, device, device_type, model, health, temperature_c, reallocated_sectors, "
                       "pending_sectors, power_on_hours, standby FROM smart_disk"):
        labels = [r[0], r[1]]
        info.add_metric([*labels, r[2] or "", r[3] or "", r[4] or ""], 1)
        failed.add_metric(labels, 1 if r[5] == "SMART_HEALTH_FAILED" else 0)
        if r[6]:
            temperature.add_metric(labels, r[6])
        for family, value in ((reallocated, r[7]), (pending, r[8])):
            if value is not None and value >= 0:     # -1: not reported
                family.add_metric(labels, value)
        power_on.add_metric(labels, (r[9] or 0) * 3600)
        standby.add_metric(labels, 1 if r[10] else 0)
    yield from (info, failed, temperature, reallocated, pending, power_on, standby)
