"""CPU, RAM and disks per machine, from their state tables (one row per machine or mount)."""
from __future__ import annotations

from collections import Counter
from collections.abc import Iterator

from prometheus_client.core import GaugeMetricFamily, Metric

from bot.metrics.sources import Sources

MACHINE = ["machine"]
DISK = ["machine", "mountpoint"]


def collect(src: Sources) -> Iterator[Metric]:
    yield from cpu(src)
    yield from ram(src)
    yield from disks(src)


def cpu(src: Sources) -> Iterator[Metric]:
    usage = GaugeMetricFamily("teafarm_cpu_usage_ratio", "CPU busy, 0 to 1", labels=MACHINE)
    frequency = GaugeMetricFamily("teafarm_cpu_frequency_hertz", "Current CPU frequency", labels=MACHINE)
    temperature = GaugeMetricFamily("teafarm_cpu_temperature_celsius",
                                    "CPU temperature (absent where the platform has no sensor)", labels=MACHINE)
    cores = GaugeMetricFamily("teafarm_cpu_cores", "Logical CPU cores", labels=MACHINE)
    load = GaugeMetricFamily("teafarm_cpu_load1", "Load average over one minute", labels=MACHINE)
    for machine, percent, mhz, celsius, logical, load_1m in src.query(
            "SELECT machine, usage_percent, frequency_mhz, temperature_c, cores, load_1m FROM cpu"):
        usage.add_metric([machine], (percent or 0.0) / 100)
        frequency.add_metric([machine], (mhz or 0.0) * 1e6)
        if celsius:   # the client sends 0 for "no sensor": a 0 °C line on a dashboard would be a lie
            temperature.add_metric([machine], celsius)
        cores.add_metric([machine], logical or 0)
        load.add_metric([machine], load_1m or 0.0)
    yield from (usage, frequency, temperature, cores, load)


def ram(src: Sources) -> Iterator[Metric]:
    total = GaugeMetricFamily("teafarm_memory_total_bytes", "RAM installed", labels=MACHINE)
    used = GaugeMetricFamily("teafarm_memory_used_bytes", "RAM used", labels=MACHINE)
    available = GaugeMetricFamily("teafarm_memory_available_bytes", "RAM available to new programs", labels=MACHINE)
    # the client's own figure, the one the ram_full alert compares with bot.alerts.ram_full_percent
    usage = GaugeMetricFamily("teafarm_memory_usage_ratio", "RAM in use, 0 to 1 (as the ram_full alert sees it)", labels=MACHINE)
    swap_total = GaugeMetricFamily("teafarm_swap_total_bytes", "Swap configured", labels=MACHINE)
    swap_used = GaugeMetricFamily("teafarm_swap_used_bytes", "Swap used", labels=MACHINE)
    for r in src.query("SELECT machine, total_bytes, used_bytes, available_bytes, percent, swap_total_bytes, "
                       "swap_used_bytes FROM ram"):
        machine = [r[0]]
        for family, value in zip((total, used, available), r[1:4]):
            family.add_metric(machine, value or 0)
        usage.add_metric(machine, (r[4] or 0.0) / 100)
        swap_total.add_metric(machine, r[5] or 0)
        swap_used.add_metric(machine, r[6] or 0)
    yield from (total, used, available, usage, swap_total, swap_used)


def disks(src: Sources) -> Iterator[Metric]:
    size = GaugeMetricFamily("teafarm_disk_size_bytes", "Size of the filesystem", labels=DISK)
    free = GaugeMetricFamily("teafarm_disk_free_bytes", "Bytes free", labels=DISK)
    usage = GaugeMetricFamily("teafarm_disk_usage_ratio", "Used, 0 to 1 (as the disk_full alert sees it)", labels=DISK)
    readable = GaugeMetricFamily("teafarm_disk_readable", "0 when the client could not read the mount's usage", labels=DISK)
    plots = GaugeMetricFamily("teafarm_disk_plots", "Plot files on the mount, any status (disks holding plots are "
                              "meant to be full: disk_full never alerts on them)", labels=DISK)
    on_disk: Counter[tuple[str, str]] = Counter()
    for group in src.plot_groups:
        on_disk[(group.machine, group.disk)] += group.plots
    # no used bytes: size x usage says it, and 4,000 disks' worth of samples costs every scrape
    for machine, mount, total, free_bytes, percent, error in src.query(
            "SELECT machine, mountpoint, total_bytes, free_bytes, percent, error FROM disk"):
        labels = [machine, mount or ""]
        size.add_metric(labels, total or 0)
        free.add_metric(labels, free_bytes or 0)
        usage.add_metric(labels, (percent or 0.0) / 100)
        readable.add_metric(labels, 0 if error else 1)
        plots.add_metric(labels, on_disk.get((machine, mount or ""), 0))
    yield from (size, free, usage, readable, plots)
