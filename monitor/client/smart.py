"""SMART health of this machine's disks, read with smartctl (smartmontools 7 or later: `--json`).

The disks come from `smartctl --scan-open --json`; each is read with `smartctl --json -a -n standby`.
Reading happens in a background task every `interval` seconds, never inside a snapshot: smartctl
runs as a subprocess with a timeout (on a dying disk it can hang for minutes), and a disk whose last
smartctl still hangs is not asked again until that one is gone. `-n standby` makes smartctl stop
before it touches a sleeping disk, so reading SMART never spins one up; such a disk keeps its last
values. Where smartctl is missing or may not open the disks, the machine says so once (topic
"smart", one log line), so the bot never takes "no SMART data" for "healthy".
Without root, smartctl's ATA/SCSI pass-through needs the capability CAP_SYS_RAWIO and read access
to the disks' device nodes (NVMe: CAP_SYS_ADMIN); deploy/systemd/teafarm-client.service grants
exactly that and says how to add NVMe.
"""
from __future__ import annotations

import asyncio
import json
import logging
import shutil
from dataclasses import dataclass
from typing import Any

from monitor.client.collector import Collector, Kept
from protocol import events_pb2, hardware_pb2

log = logging.getLogger(__name__)

SCAN = ("--scan-open", "--json")
READ = ("--json", "-a", "-n", "standby")
TIMEOUT = 60.0               # seconds one smartctl may take (a healthy disk answers in well under 2 s)
PARALLEL = 4                 # disks read at once
KILL_GRACE = 2.0             # seconds a killed smartctl gets to go; one stuck in the kernel stays "hung"
EXIT_OPEN_FAILED = 2         # exit status bit: device open failed, no IDENTIFY data, or in a low-power mode
EXIT_BAD_COMMAND_LINE = 1
REFUSED = ("Permission denied", "Operation not permitted")


class SmartctlError(Exception):
    """smartctl gave no usable answer (hung, killed, no JSON)."""


class Smartctl:
    """Runs smartctl with a timeout and remembers, per device, a smartctl that is still hung."""

    def __init__(self, timeout: float) -> None:
        self.timeout = timeout
        self._hung: dict[str, asyncio.subprocess.Process] = {}

    async def run(self, executable: str, args: list[str], key: str) -> dict[str, Any]:
        hung = self._hung.get(key)
        if hung is not None and hung.returncode is None:
            raise SmartctlError("not responding (an earlier smartctl on it still hangs)")
        self._hung.pop(key, None)
        process = await asyncio.create_subprocess_exec(executable, *args, stdin=asyncio.subprocess.DEVNULL,
                                                       stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.STDOUT)
        try:
            async with asyncio.timeout(self.timeout):      # not wait_for: see monitor/waits.py
                out, _ = await process.communicate()
        except TimeoutError:
            await self._kill(process, key)
            raise SmartctlError(f"not responding (smartctl gave no answer within {self.timeout:g} s)") from None
        except asyncio.CancelledError:
            await self._kill(process, key)   # the client is stopping: leave no smartctl behind
            raise
        try:
            data = json.loads(out)
        except ValueError:
            line = out.decode(errors="replace").strip().splitlines()[:1]
            raise SmartctlError(f"no JSON from smartctl (smartmontools 7 or later is needed; exit {process.returncode}): "
                                f"{line[0] if line else 'no output'}") from None
        if not isinstance(data, dict):
            raise SmartctlError("unexpected JSON from smartctl")
        return data

    async def _kill(self, process: asyncio.subprocess.Process, key: str) -> None:
        process.kill()
        try:
            async with asyncio.timeout(KILL_GRACE):
                await process.wait()
        except TimeoutError:
            self._hung[key] = process   # stuck in the kernel on the disk: not asked again while it lives

    async def stop(self) -> None:
        for process in self._hung.values():
            if process.returncode is None:
                process.kill()


@dataclass
class Reading:
    """One disk's answer: fresh values, or why there are none."""
    disk: hardware_pb2.SmartDisk | None = None
    standby: bool = False
    refused: str = ""            # smartctl's line when it may not open the disk
    error: str = ""


def messages(data: dict[str, Any]) -> list[str]:
    return [m.get("string", "") for m in data.get("smartctl", {}).get("messages", []) if isinstance(m, dict)]


def reading_of(data: dict[str, Any], device: str, device_type: str) -> Reading:
    """Classify one `smartctl --json -a -n standby` answer."""
    status = int(data.get("smartctl", {}).get("exit_status", 0))
    lines = messages(data)
    if status & (EXIT_OPEN_FAILED | EXIT_BAD_COMMAND_LINE):
        if any(line.startswith("Device is in ") and " mode" in line for line in lines):
            return Reading(standby=True)
        refusal = next((line for line in lines if _refusal(line)), "")
        if refusal:
            return Reading(refused=refusal)
        if "smart_status" not in data and "serial_number" not in data:
            return Reading(error=lines[0] if lines else f"smartctl exit status {status}")
    return Reading(disk=disk_of(data, device, device_type))


def disk_of(data: dict[str, Any], device: str, device_type: str) -> hardware_pb2.SmartDisk:
    """The values teafarm keeps from smartctl's JSON (ATA, NVMe and SCSI alike)."""
    passed = data.get("smart_status", {}).get("passed")
    health = {True: hardware_pb2.SMART_HEALTH_PASSED, False: hardware_pb2.SMART_HEALTH_FAILED}.get(
        passed, hardware_pb2.SMART_HEALTH_UNKNOWN)     # no verdict: SMART unsupported or disabled
    table = {a.get("id"): a for a in data.get("ata_smart_attributes", {}).get("table", []) if isinstance(a, dict)}
    serial = str(data.get("serial_number") or "").strip()
    return hardware_pb2.SmartDisk(
        id=serial or device, device=device, device_type=data.get("device", {}).get("type") or device_type,
        model=str(data.get("model_name") or data.get("scsi_model_name") or data.get("scsi_product") or "").strip(),
        capacity_bytes=int(data.get("user_capacity", {}).get("bytes") or data.get("nvme_total_capacity") or 0),
        health=health, temperature_c=float(data.get("temperature", {}).get("current") or 0),
        reallocated_sectors=_raw(table, 5, data.get("scsi_grown_defect_list", -1)), pending_sectors=_raw(table, 197, -1),
        power_on_hours=int(data.get("power_on_time", {}).get("hours") or 0),
        exit_status=int(data.get("smartctl", {}).get("exit_status", 0)))


def _raw(table: dict, attribute: int, missing: int) -> int:
    entry = table.get(attribute)
    return int(entry.get("raw", {}).get("value", missing)) if entry else int(missing)


def _refusal(text: str) -> bool:
    return any(word in text for word in REFUSED)


class SmartCollector(Collector):
    name = "smart"
    topics = ("smart", "smart_disks")

    def __init__(self, interval: float, timeout: float = TIMEOUT, command: str = "smartctl") -> None:
        super().__init__()
        self.interval = interval
        self.command = command
        self.smartctl = Smartctl(timeout)
        self._support: hardware_pb2.SmartSupport | None = None   # None until the first read ends
        self._disks: dict[str, hardware_pb2.SmartDisk] = {}      # by device name, as read last
        self._devices: list[tuple[str, str]] = []                # (name, type) of the last good scan
        self._unknown: frozenset[str] = frozenset()              # devices asleep or unreadable, never read since start
        self._said = ""                                          # the absence already logged
        self._version = ""                                       # smartctl's, from its last scan
        self._task: asyncio.Task | None = None

    async def start(self) -> None:
        self._task = asyncio.create_task(self._loop(), name="smart")

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            await asyncio.gather(self._task, return_exceptions=True)
        await self.smartctl.stop()

    async def _loop(self) -> None:
        while True:
            try:
                await self.read_once()
            except Exception:
                log.exception("reading SMART failed")
            self.wake()          # the snapshot takes the new values now, not at its next interval
            await asyncio.sleep(self.interval)

    async def collect(self, snapshot: events_pb2.ComputerInfo) -> Kept | None:
        if self._support is None:
            return dict.fromkeys(self.topics)      # not read yet: unknown, which is not "no disks"
        snapshot.smart.CopyFrom(self._support)
        seen = set()
        for disk in self._disks.values():
            if disk.id not in seen:      # one disk on two paths (multipath) is one disk
                seen.add(disk.id)
                snapshot.smart_disks.append(disk)
        unknown = self._unknown
        # a disk asleep since the client started keeps the row the server has (found by its device)
        return {"smart_disks": lambda row: row.device in unknown} if unknown else None

    async def read_once(self) -> None:
        """One round: scan, read every disk, keep the result for the next snapshots."""
        executable = shutil.which(self.command)
        if executable is None:
            return self._absent("smartctl is not installed (package smartmontools)", logging.INFO)
        devices = await self._scan(executable)
        if devices is None:
            return
        semaphore = asyncio.Semaphore(PARALLEL)

        async def read(name: str, device_type: str) -> Reading:
            async with semaphore:
                return await self._read(executable, name, device_type)

        readings = await asyncio.gather(*(read(name, device_type) for name, device_type in devices))
        refused = [r.refused for r in readings if r.refused]
        if refused and len(refused) == len(devices):
            return self._absent(f"smartctl may not open the disks ({refused[0]}): run the client as root")
        disks, unknown = {}, set()
        for (name, _), reading in zip(devices, readings):
            last = self._disks.get(name)
            if reading.disk is not None:
                disks[name] = reading.disk
            elif last is not None:          # asleep or unreadable now: its values from before stand
                kept = hardware_pb2.SmartDisk()
                kept.CopyFrom(last)
                kept.standby, kept.error = reading.standby, reading.error or reading.refused
                disks[name] = kept
            else:
                unknown.add(name)
        self._disks, self._unknown = disks, frozenset(unknown)
        self._support = hardware_pb2.SmartSupport(available=True, smartctl_version=self._version)
        self._said = ""

    async def _scan(self, executable: str) -> list[tuple[str, str]] | None:
        """The disks to read (name, type), or None when there is no SMART data to be had."""
        try:
            scan = await self.smartctl.run(executable, list(SCAN), "--scan-open")
        except SmartctlError as exc:
            if self._devices:               # a scan that hangs on one disk must not lose the others
                return self._devices
            self._absent(f"smartctl --scan-open failed: {exc}")
            return None
        version = scan.get("smartctl", {}).get("version") or []
        self._version = ".".join(str(v) for v in version)
        if scan.get("smartctl", {}).get("exit_status", 0) & EXIT_BAD_COMMAND_LINE:
            lines = messages(scan)
            self._absent(f"smartctl {self._version or '?'} cannot scan: {lines[0] if lines else 'smartmontools 7 or later is needed'}")
            return None
        devices, refused = [], []
        for entry in scan.get("devices", []):
            error = entry.get("open_error", "")
            if error and _refusal(error):
                refused.append(f"{entry.get('name')}: {error}")
            elif entry.get("name"):     # another open error (a dying disk, say): reading it says more,
                # with smartctl's own detection then: the type of a device it could not open is a guess
                devices.append((entry["name"], "" if error else entry.get("type", "")))
        if refused and not devices:
            self._absent(f"smartctl may not open the disks ({refused[0]}): run the client as root")
            return None
        self._devices = devices
        return devices

    async def _read(self, executable: str, name: str, device_type: str) -> Reading:
        args = [*READ, *(("-d", device_type) if device_type else ()), name]
        try:
            return reading_of(await self.smartctl.run(executable, args, name), name, device_type)
        except SmartctlError as exc:
            return Reading(error=str(exc))

    def _absent(self, reason: str, level: int = logging.WARNING) -> None:
        if reason != self._said:
            log.log(level, "no SMART data from this machine: %s", reason)
            self._said = reason
        self._support = hardware_pb2.SmartSupport(available=False, reason=reason, smartctl_version=self._version)
        self._disks, self._unknown = {}, frozenset()
