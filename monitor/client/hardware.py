"""Hardware of this machine with psutil: CPU, RAM and swap, real mounts, chia-related processes.

Each part is collected on its own, so a disk that errors or a process that vanishes only costs
that one entry. Disk usage runs in worker threads with a timeout: a hung network mount must not
stall the client.
"""
from __future__ import annotations

import asyncio
import logging
import os
import platform
import socket
import time
from concurrent.futures import Future, ThreadPoolExecutor

import psutil

from monitor.client.collector import Collector
from protocol import events_pb2, hardware_pb2
from teafarm import __version__

log = logging.getLogger(__name__)

NETWORK_FS = {"nfs", "nfs4", "cifs", "smbfs", "smb3", "fuse.sshfs", "fuse.rclone", "9p", "glusterfs", "ceph", "fuse.glusterfs", "afpfs", "webdav", "davfs"}
VIRTUAL_FS = {"proc", "sysfs", "devtmpfs", "devpts", "tmpfs", "cgroup", "cgroup2", "securityfs", "pstore", "debugfs",
              "tracefs", "configfs", "fusectl", "mqueue", "hugetlbfs", "bpf", "autofs", "binfmt_misc", "overlay",
              "squashfs", "nsfs", "ramfs", "rpc_pipefs", "efivarfs", "fuse.lxcfs", "fuse.portal", "fuse.gvfsd-fuse", "selinuxfs", "rootfs"}
CHIA_PROCESS_WORDS = ("chia", "bladebit", "madmax", "chia_plot", "cuda_plot", "gigahorse", "teafarm")
DISK_TIMEOUT = 2.0
PROCESS_EVERY = 30.0      # seconds between process scans (the costliest part of a snapshot)


class HardwareCollector(Collector):
    name = "hardware"
    topics = ("machine_info", "cpu", "ram", "disks", "processes")

    def __init__(self, extra_mounts: list[str] | None = None) -> None:
        super().__init__()
        self.extra_mounts = set(extra_mounts or [])
        self._disk_threads = ThreadPoolExecutor(max_workers=4, thread_name_prefix="disk-usage")
        self._hung: dict[str, Future] = {}
        self._processes: list[hardware_pb2.Process] = []
        self._processes_at = 0.0
        psutil.cpu_percent(interval=None)  # the first call only primes the counter

    async def collect(self, snapshot: events_pb2.ComputerInfo) -> None:
        snapshot.machine_info.CopyFrom(machine_info())
        snapshot.cpu.CopyFrom(cpu())
        snapshot.ram.CopyFrom(ram())
        snapshot.disks.extend(await self.disks())
        if time.monotonic() - self._processes_at >= PROCESS_EVERY:
            self._processes = await asyncio.get_running_loop().run_in_executor(None, chia_processes)
            self._processes_at = time.monotonic()
        snapshot.processes.extend(self._processes)

    async def disks(self) -> list[hardware_pb2.Disk]:
        found = []
        for part in psutil.disk_partitions(all=True):
            if not self._is_real(part):
                continue
            disk = hardware_pb2.Disk(id=part.mountpoint, mountpoint=part.mountpoint, device=part.device,
                                     fstype=part.fstype, network=part.fstype in NETWORK_FS)
            await self._fill_usage(disk)
            found.append(disk)
        return found

    def _is_real(self, part) -> bool:
        if part.mountpoint in self.extra_mounts:
            return True
        if part.fstype in NETWORK_FS:
            return True
        if part.fstype in VIRTUAL_FS or not part.fstype:
            return False
        # snap/loop images and bind-mounted container files are not farm disks
        return not (part.device.startswith("/dev/loop") or part.mountpoint.startswith(("/snap/", "/proc/", "/sys/", "/run/")))

    async def _fill_usage(self, disk: hardware_pb2.Disk) -> None:
        previous = self._hung.get(disk.mountpoint)
        if previous is not None and not previous.done():
            disk.error = "not responding"
            return
        future = self._disk_threads.submit(psutil.disk_usage, disk.mountpoint)
        self._hung[disk.mountpoint] = future
        try:
            async with asyncio.timeout(DISK_TIMEOUT):      # not wait_for: see monitor/waits.py
                usage = await asyncio.wrap_future(future)
        except TimeoutError:
            disk.error = "not responding"
            return
        except OSError as exc:
            disk.error = exc.strerror or str(exc)
            return
        self._hung.pop(disk.mountpoint, None)
        disk.total_bytes, disk.used_bytes, disk.free_bytes, disk.percent = usage.total, usage.used, usage.free, usage.percent

    async def stop(self) -> None:
        self._disk_threads.shutdown(wait=False, cancel_futures=True)


def machine_info() -> hardware_pb2.MachineInfo:
    return hardware_pb2.MachineInfo(hostname=socket.gethostname(), teafarm_version=__version__,
                                    os=f"{platform.system()} {platform.release()}",
                                    python_version=platform.python_version(), boot_time=psutil.boot_time())


def cpu() -> hardware_pb2.Cpu:
    message = hardware_pb2.Cpu(usage_percent=psutil.cpu_percent(interval=None), cores=psutil.cpu_count() or 0,
                               physical_cores=psutil.cpu_count(logical=False) or 0)
    frequency = psutil.cpu_freq() if hasattr(psutil, "cpu_freq") else None
    if frequency:
        message.frequency_mhz = frequency.current
    message.temperature_c = _cpu_temperature()
    if hasattr(os, "getloadavg"):
        message.load_1m = os.getloadavg()[0]
    return message


def _cpu_temperature() -> float:
    sensors = getattr(psutil, "sensors_temperatures", None)  # Linux and FreeBSD only
    if sensors is None:
        return 0.0
    try:
        readings = sensors()
    except (OSError, RuntimeError):
        return 0.0
    for name in ("coretemp", "k10temp", "cpu_thermal", "zenpower", "acpitz"):
        if readings.get(name):
            return max(r.current for r in readings[name])
    return 0.0


def ram() -> hardware_pb2.Ram:
    memory, swap = psutil.virtual_memory(), psutil.swap_memory()
    return hardware_pb2.Ram(total_bytes=memory.total, used_bytes=memory.used, available_bytes=memory.available,
                            percent=memory.percent, swap_total_bytes=swap.total, swap_used_bytes=swap.used,
                            swap_percent=swap.percent)


def chia_processes() -> list[hardware_pb2.Process]:
    found = []
    for process in psutil.process_iter(["pid", "name", "cmdline", "create_time", "memory_info", "username"]):
        try:
            info = process.info
            cmdline = " ".join(info["cmdline"] or [])
            text = f"{info['name']} {cmdline}".lower()
            if not any(word in text for word in CHIA_PROCESS_WORDS) or process.pid == os.getpid():
                continue
            found.append(hardware_pb2.Process(
                id=f"{info['pid']}-{int(info['create_time'] or 0)}", pid=info["pid"], name=info["name"] or "",
                cmdline=cmdline[:1000], create_time=info["create_time"] or 0.0,
                rss_bytes=info["memory_info"].rss if info["memory_info"] else 0, username=info["username"] or ""))
        except (psutil.NoSuchProcess, psutil.AccessDenied, psutil.ZombieProcess):
            continue  # a process that vanished or hides itself costs only its own entry
    return found
