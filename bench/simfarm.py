"""Farm simulator: N virtual machines against a real `teafarm bot`, with scripted faults.

Every virtual machine is a real teafarm client (`monitor.client.app.ClientApp`: snapshot diff,
throttle, durable sqlite outbox, the uplink over gRPC with mutual TLS and a certificate of its own)
whose collector reports a simulated machine instead of psutil and chia: CPU, RAM, its disks, its
harvester (node id) and plots. Machine m0000 also runs the farmer, full node and wallet: it reports
every harvester as the farmer sees it and one farming bucket per harvester per bucket period
(signage points answered or missed). The bot is `teafarm bot` started through the CLI as a
subprocess; its console transport (stdout) is where alerts arrive, and `/farm` typed on its stdin
measures command latency under load.

Scripted faults, each on a machine of its own: harvester_drop (the farmer loses a harvester),
plot_loss (a tenth of a harvester's plots vanish), disk_loss (a full plot disk is unplugged: the
disk and its plots vanish), silence (the client stops talking), sp_gap (a harvester misses every
signage point) and restart (the client is restarted: no alert expected). Each ends after a while
(the disk comes back, ...).

At the end it checks, and prints:
- events: every event a client queued (recorded by a trigger in each client outbox, so it is
  exactly what the outbox holds) is in the store once; none lost, none doubled;
- alerts: every row of the bot's alert outbox (bot.db) was printed on the console exactly once and
  nothing else was; every scripted fault raised its alerts once and recovered once; no other alert;
- server CPU and RSS over time, events/s, `/farm` latency, alert latency p50/p99, database growth
  per day with retention.

Timings: `short` (runs of a few minutes, CI) shortens debounces, grace and windows and compresses
farming time (a bucket every 5 s carries a minute of signage points); `real` (runs of 20 minutes or
more) keeps chia's pace and the default debounces.

    .venv/bin/python -m bench.simfarm --machines 50 --minutes 2
    .venv/bin/python -m bench.simfarm --machines 500 --minutes 30            # the soak (100,000 plots)
    .venv/bin/python -m bench.simfarm --machines 50 --minutes 2 --faults disk_loss=3,restart=2
"""
from __future__ import annotations

import argparse
import asyncio
import functools
import json
import logging
import math
import os
import random
import re
import shutil
import sqlite3
import statistics
import sys
import tempfile
import threading
import time
from collections import Counter
from contextlib import closing
from dataclasses import dataclass, field
from pathlib import Path

import psutil

from bench.common import ServerProcess, cpu_used, issue_machine_cert, node_of, percentile
from bot.alerts.rules import ALERTS
from monitor.client.app import ClientApp
from monitor.client.collector import Collector
from monitor.client.outbox import SCHEMA as OUTBOX_SCHEMA
from monitor.client.settings import ClientSettings
from monitor.server.settings import ServerSettings
from protocol import chia_pb2, events_pb2, hardware_pb2, service_pb2
from protocol.registry import TOPICS, topic_of

log = logging.getLogger("simfarm")

PLOT_SIZE = 108_800_000_000       # a k32 plot
DISK_BYTES = 18 * 10**12          # an 18 TB farm disk ...
PLOTS_PER_DISK = 165              # ... holds 165 of them (99.7 % full)
SP_INTERVAL = 9.375               # seconds between signage points (64 per 10 minutes)
PLOT_FILTER = 512
CHIA_VERSION = "2.5.4"
FAULT_KINDS = ("harvester_drop", "plot_loss", "disk_loss", "silence", "sp_gap", "restart")
SAMPLE_EVERY = 5.0                # seconds between samples of the server's CPU and RSS
FARM_EVERY = 10.0                 # seconds between two `/farm` typed on the bot's console
SYNC_TIMEOUT = 300.0              # seconds for every machine's initial sync
STOP_TIMEOUT = 10.0               # seconds a client gets to stop before it is killed


# -- timings ------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Timing:
    name: str
    interval: float                            # client snapshot interval
    heartbeat: float                           # client heartbeat
    bucket_seconds: float                      # a farming bucket per harvester per this many seconds
    alerts: dict                               # the bot's `bot.alerts` section
    durations: dict[str, float]                # seconds each kind of fault lasts
    starts: dict[str, tuple[float, float]]     # seconds after the run began: first and last start of each kind
    settle: float                              # seconds to wait past the run for the last alerts

    @property
    def compression(self) -> float:
        """Farming time runs this much faster than the clock (a bucket carries a minute of SPs)."""
        return 60.0 / self.bucket_seconds

    def debounce(self, rule: str) -> float:
        configured = self.alerts.get("rules", {}).get(rule, {}).get("debounce")
        return ALERTS[rule].debounce if configured is None else configured

    def wait_of(self, rule: str) -> float:
        """What the bot is told to wait before it announces `rule`."""
        return self.alerts["machine_silent"] if rule == "machine_silent" else self.debounce(rule)


def short_timing(machines: int, run: float) -> Timing:
    if run < 110:
        raise SystemExit("the short timing needs a run of at least 2 minutes (--minutes 2)")
    return Timing(
        name="short", interval=max(1.0, machines / 250), heartbeat=2.0, bucket_seconds=5.0,
        alerts={"startup_grace": 5.0, "machine_silent": 15.0, "farming_window": 30.0, "daily_summary": "",
                "rules": {name: {"debounce": min(kind.debounce, 2.0)} for name, kind in ALERTS.items()}},
        durations={"harvester_drop": 15, "plot_loss": 15, "disk_loss": 15, "silence": 45, "sp_gap": 15, "restart": 1},
        # a silence lasts 3x machine_silent; an SP gap needs a full farming window of buckets before it
        starts={"restart": (8, 50), "harvester_drop": (15, 40), "plot_loss": (15, 40), "disk_loss": (15, 40),
                "silence": (15, 25), "sp_gap": (35, 45)},
        settle=45.0)


def real_timing(machines: int, run: float) -> Timing:
    if run < 20 * 60:
        raise SystemExit("the real timing needs a run of at least 20 minutes (its faults last up to 5 minutes "
                         "and the missed signage points window is 6)")

    def span(a: float, b: float) -> tuple[float, float]:
        return a * run, b * run
    return Timing(
        name="real", interval=5.0, heartbeat=30.0, bucket_seconds=60.0,
        alerts={"startup_grace": 60.0, "machine_silent": 120.0, "farming_window": 360.0, "daily_summary": ""},
        durations={"harvester_drop": 180, "plot_loss": 300, "disk_loss": 300, "silence": 300, "sp_gap": 180, "restart": 5},
        starts={"restart": span(0.05, 0.7), "harvester_drop": span(0.1, 0.6), "plot_loss": span(0.1, 0.55),
                "disk_loss": span(0.1, 0.55), "silence": span(0.1, 0.5), "sp_gap": span(0.1, 0.45)},
        settle=240.0)


# -- the farm: what each machine is, and what the faults change ---------------------------------

class SimMachine:
    def __init__(self, index: int, plots: int) -> None:
        self.index = index
        self.name = f"m{index:04d}"
        self.node = node_of(index + 1)
        self.farmer = index == 0
        self.mounts = [f"/mnt/hdd{d:02d}" for d in range(max(1, math.ceil(plots / PLOTS_PER_DISK)))]
        self.plots: dict[str, chia_pb2.Plot] = {}
        for p in range(plots):
            plot_id = f"{index + 1:08x}{p:08x}" * 4
            mount = self.mounts[p // PLOTS_PER_DISK]
            self.plots[plot_id] = chia_pb2.Plot(
                id=plot_id, harvester_node_id=self.node, filename=f"{mount}/plot-k32-2024-05-01-10-00-{plot_id}.plot",
                k=32, compression=0, file_size=PLOT_SIZE, time_modified=1714557600.0, status=chia_pb2.VALID, disk=mount)
        self.lost_plots: set[str] = set()
        self.lost_disks: set[str] = set()
        self.disconnected_since = 0.0            # the farmer lost this harvester at (0: connected)
        self.missing_sps = False                 # answering no signage point
        self.last_answer = 0.0
        self.version = 0                         # bumped whenever the visible plots change
        self._visible: tuple[int, list[chia_pb2.Plot]] | None = None

    def visible_plots(self) -> list[chia_pb2.Plot]:
        if self._visible is None or self._visible[0] != self.version:
            self._visible = (self.version, [p for pid, p in self.plots.items()
                                            if pid not in self.lost_plots and p.disk not in self.lost_disks])
        return self._visible[1]

    def changed_plots(self) -> None:
        self.version += 1


class SimFarm:
    def __init__(self, machines: int, plots: int, timing: Timing) -> None:
        per, extra = divmod(plots, machines)
        self.machines = [SimMachine(i, per + (1 if i < extra else 0)) for i in range(machines)]
        self.farmer = self.machines[0]
        self.timing = timing
        self.frozen_at: float | None = None
        self.trouble: list[str] = []             # what went wrong with the virtual clients themselves
        self.started = time.time()
        self.next_bucket = math.ceil(self.started / timing.bucket_seconds) * timing.bucket_seconds

    def now(self) -> float:
        return self.frozen_at if self.frozen_at is not None else time.time()

    def freeze(self) -> None:
        """Nothing changes any more (the end of the run: the outboxes drain)."""
        self.frozen_at = time.time()

    def answer_time(self, machine: SimMachine, now: float) -> float:
        if not machine.disconnected_since and not machine.missing_sps:
            machine.last_answer = math.floor(now / SP_INTERVAL) * SP_INTERVAL
        return machine.last_answer

    def due_buckets(self, now: float) -> list[tuple[str, object, float]]:
        """The farming buckets (per connected harvester) and farm signage buckets of every bucket
        period that ended by `now` (kept here, so a farmer client restart loses none)."""
        facts = []
        period, f = self.timing.bucket_seconds, self.timing.compression
        while self.next_bucket + period <= now:
            start = self.next_bucket
            self.next_bucket += period
            expected = math.floor((start + period) * f / SP_INTERVAL) - math.floor(start * f / SP_INTERVAL)
            facts.append(("signage", chia_pb2.SignageBucket(minute=start, seen=expected, skipped=0), start))
            for m in self.machines:
                if m.disconnected_since:
                    continue                     # the farmer sends no signage point to a harvester it lost
                plots = len(m.visible_plots())
                eligible = plots * expected / PLOT_FILTER
                answered = 0 if m.missing_sps else expected
                facts.append(("farming", chia_pb2.FarmingBucket(
                    harvester_node_id=m.node, minute=start, sp_expected=expected, sp_answered=answered,
                    sp_missed=expected - answered, lookup_p50=0.3 if answered else 0.0, lookup_p95=0.8 if answered else 0.0,
                    lookup_max=1.2 if answered else 0.0, eligible_plots=round(eligible) if answered else 0,
                    expected_eligible=eligible, proofs=0, total_plots=plots), start))
        return facts


# -- collectors: a simulated machine instead of psutil and chia ---------------------------------

def _wobble(name: str, now: float, period: float, low: float, high: float) -> float:
    """A value that changes every `period` seconds, the same for everyone asking in that period."""
    return random.Random(f"{name}/{int(now // period)}").uniform(low, high)


class MachineCollector(Collector):
    name = "simulated machine"
    topics = ("machine_info", "cpu", "ram", "disks", "chia_services", "harvester_identities", "plots")

    def __init__(self, farm: SimFarm, machine: SimMachine) -> None:
        super().__init__()
        self.farm = farm
        self.machine = machine
        self.collected = 0
        self._plots_version: int | None = None

    async def collect(self, snapshot: events_pb2.ComputerInfo) -> set[str]:
        m, now = self.machine, self.farm.now()
        snapshot.machine_info.CopyFrom(hardware_pb2.MachineInfo(
            hostname=m.name, teafarm_version="0.1.0", os="Linux 6.1", python_version="3.11.7", boot_time=1714557600.0))
        snapshot.cpu.CopyFrom(hardware_pb2.Cpu(usage_percent=round(_wobble(m.name, now, 10, 2, 40), 1), frequency_mhz=3400.0,
                                               temperature_c=45.0, cores=16, physical_cores=8,
                                               load_1m=round(_wobble(m.name, now, 10, 0.2, 4), 2)))
        used = int(_wobble(m.name + "/ram", now, 30, 10, 16) * 2**30)
        snapshot.ram.CopyFrom(hardware_pb2.Ram(total_bytes=32 * 2**30, used_bytes=used, available_bytes=32 * 2**30 - used,
                                               percent=round(used / (32 * 2**30) * 100, 1)))
        snapshot.disks.append(_disk("/", "/dev/nvme0n1p2", 500 * 10**9, 175 * 10**9))
        plots = m.visible_plots()
        on_disk = Counter(p.disk for p in plots)
        for d, mount in enumerate(m.mounts):
            if mount not in m.lost_disks:
                snapshot.disks.append(_disk(mount, f"/dev/sd{chr(97 + d % 26)}1", DISK_BYTES,
                                            on_disk[mount] * PLOT_SIZE + 2 * 10**9))
        services = ["daemon", "harvester"] + (["farmer", "full_node", "wallet"] if m.farmer else [])
        snapshot.chia_services.extend(chia_pb2.ChiaService(id=s, state=chia_pb2.RUNNING, version=CHIA_VERSION,
                                                           log_level="INFO") for s in services)
        snapshot.harvester_identities.append(chia_pb2.HarvesterIdentity(id=m.node, node_id=m.node,
                                                                        plot_directories=m.mounts))
        self.collected += 1
        if self._plots_version == m.version:
            return {"plots"}                   # unchanged: the client keeps their state without a diff
        snapshot.plots.extend(plots)
        self._plots_version = m.version
        return set()


def _disk(mount: str, device: str, total: int, used: int) -> hardware_pb2.Disk:
    return hardware_pb2.Disk(id=mount, mountpoint=mount, device=device, fstype="ext4" if mount == "/" else "xfs",
                             total_bytes=total, used_bytes=used, free_bytes=total - used, percent=round(used / total * 100, 1))


class FarmerCollector(Collector):
    """m0000's farmer, full node and wallet: every harvester as the farmer sees it, and the buckets."""
    name = "simulated farmer"
    topics = ("harvesters", "farmer", "full_node", "wallet")

    def __init__(self, farm: SimFarm) -> None:
        super().__init__()
        self.farm = farm

    async def collect(self, snapshot: events_pb2.ComputerInfo) -> None:
        farm, now = self.farm, self.farm.now()
        connected = 0
        for i, m in enumerate(farm.machines):
            plots = len(m.visible_plots())
            connected += not m.disconnected_since
            snapshot.harvesters.append(chia_pb2.Harvester(
                id=m.node, node_id=m.node, host=f"10.0.{i // 250}.{i % 250 + 2}", connected=not m.disconnected_since,
                last_answer_time=farm.answer_time(m, now), plots=plots, total_plot_size=plots * PLOT_SIZE,
                total_effective_size=plots * PLOT_SIZE, last_sync_time=farm.started,
                disconnected_since=m.disconnected_since))
        last_sp = math.floor(now / SP_INTERVAL) * SP_INTERVAL
        height = 6_000_000 + int((now - farm.started) / 18.75)
        snapshot.farmer.CopyFrom(chia_pb2.Farmer(running=True, harvesters_connected=connected, full_node_connected=True,
                                                 last_signage_point_time=last_sp))
        snapshot.full_node.CopyFrom(chia_pb2.FullNode(synced=True, peak_height=height, peak_time=last_sp,
                                                      netspace_bytes=3.2e19, difficulty=11_000, network="mainnet"))
        snapshot.wallet.CopyFrom(chia_pb2.Wallet(synced=True, height=height, farmed_amount=2 * 10**12))
        for topic, message, at in farm.due_buckets(now):
            self.add_fact(topic, message, at)


# -- the virtual machines: real clients with simulated collectors ------------------------------

RECORD_SENT = """
CREATE TABLE IF NOT EXISTS sim_sent (batch_id INTEGER NOT NULL, chunk INTEGER NOT NULL, events BLOB NOT NULL);
CREATE TRIGGER IF NOT EXISTS sim_record AFTER INSERT ON chunks BEGIN
    INSERT INTO sim_sent (batch_id, chunk, events) VALUES (NEW.batch_id, NEW.chunk, NEW.events);
END;
"""


class VirtualMachine:
    """One machine's `teafarm client` (ClientApp) in this process; restartable on the same outbox."""

    def __init__(self, farm: SimFarm, machine: SimMachine, folder: Path, bot: ServerProcess, interval: float) -> None:
        self.farm = farm
        self.machine = machine
        self.folder = folder
        certs = folder / "certs"
        self.settings = ClientSettings(
            server=bot.target, machine_name=machine.name, interval=interval, heartbeat=farm.timing.heartbeat,
            outbox=folder / "outboxes" / f"{machine.name}.db", certificate=certs / f"{machine.name}.crt",
            key=certs / f"{machine.name}.key", ca=bot.data_dir / "certs" / "ca.crt")
        self.bot_data = bot.data_dir
        self.app: ClientApp | None = None
        self.collector: MachineCollector | None = None
        self.starts = 0

    def prepare(self) -> None:
        """Its certificate (from the bot's farm CA) and an outbox that records what is queued in it."""
        issue_machine_cert(self.bot_data, self.settings.certificate, self.settings.key, self.machine.name)
        self.settings.outbox.parent.mkdir(parents=True, exist_ok=True)
        with closing(sqlite3.connect(self.settings.outbox)) as conn:
            conn.executescript(OUTBOX_SCHEMA + RECORD_SENT)   # the client's own schema; no outbox id: it is new

    async def start(self) -> None:
        self.collector = MachineCollector(self.farm, self.machine)
        collectors: list[Collector] = [self.collector]
        if self.machine.farmer:
            collectors.append(FarmerCollector(self.farm))
        self.app = ClientApp(self.settings, self.folder, collectors)
        await self.app.start()
        self.starts += 1

    async def stop(self, timeout: float = STOP_TIMEOUT) -> bool:
        """Stop the client as SIGTERM would; one that has not stopped after `timeout` is killed (as a
        service manager would: its tasks are cancelled once more) and False is returned."""
        app, self.app = self.app, None
        if app is None:
            return True
        stopping = asyncio.ensure_future(app.stop())
        done, _ = await asyncio.wait({stopping}, timeout=timeout)
        killed = not done
        if killed:
            stuck = [t for t in app._tasks if not t.done()]      # the client's own tasks (no public handle)
            self.farm.trouble.append(
                f"the client of {self.machine.name} did not stop within {timeout:g} s of being cancelled "
                f"(still running: {', '.join(t.get_name() for t in stuck)}); killed")
            log.warning("%s", self.farm.trouble[-1])
            if os.environ.get("SIMFARM_DEBUG"):
                for task in stuck:
                    task.print_stack(limit=12)
            for task in stuck:
                task.cancel()
            done, _ = await asyncio.wait({stopping}, timeout=timeout)
            if not done:
                raise RuntimeError(f"the client of {self.machine.name} could not be stopped")
        stopping.result()
        return not killed

    @property
    def running(self) -> bool:
        return self.app is not None

    def synced(self) -> bool:
        app = self.app
        return (app is not None and self.collector.collected > 1 and app.uplink.resynced.is_set()
                and app.outbox.pending_count() == 0)

    def pending(self) -> int:
        return self.app.outbox.pending_count() if self.app is not None else 0

    def wake(self) -> None:
        if self.collector is not None:
            self.collector.wake()


# -- faults -------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Expect:
    rule: str
    machine: str          # the machine the alert is filed under
    needle: str           # text its message contains ("" when the machine says it all)


@dataclass
class Fault:
    kind: str
    machine: SimMachine
    start: float          # seconds after the run began
    duration: float
    expect: list[Expect] = field(default_factory=list)
    began: float = 0.0    # wall clock when it was injected
    ended: float = 0.0
    detail: str = ""

    def describe(self) -> str:
        return f"{self.kind} on {self.machine.name} at {self.start:.0f} s for {self.duration:g} s{self.detail}"


def parse_faults(text: str, machines: int) -> dict[str, int]:
    default = max(1, machines // 25)
    if text in ("", "all"):
        return {kind: default for kind in FAULT_KINDS}
    if text == "none":
        return {}
    counts = {}
    for part in text.split(","):
        kind, _, number = part.partition("=")
        if kind not in FAULT_KINDS:
            raise SystemExit(f"--faults: unknown fault {kind!r} (known: {', '.join(FAULT_KINDS)})")
        counts[kind] = int(number) if number else default
    return counts


def schedule(farm: SimFarm, counts: dict[str, int]) -> list[Fault]:
    """Each fault on a machine of its own (m0000, the farmer, only restarts), spread over its window."""
    pool = [m for m in farm.machines if not m.farmer]
    random.Random(7).shuffle(pool)
    needed = sum(counts.values()) - (1 if counts.get("restart") else 0)
    if needed > len(pool):
        raise SystemExit(f"{needed} faults need as many machines besides the farmer; use more --machines")
    faults = []
    for kind in FAULT_KINDS:
        count = counts.get(kind, 0)
        first, last = farm.timing.starts[kind]
        for j in range(count):
            machine = farm.farmer if kind == "restart" and j == 0 else pool.pop()
            start = first + (last - first) * (j + 0.5) / count
            faults.append(Fault(kind, machine, start, farm.timing.durations[kind]))
    for fault in faults:
        fault.expect = expectations(farm, fault)
    return sorted(faults, key=lambda f: f.start)


def expectations(farm: SimFarm, fault: Fault) -> list[Expect]:
    m, short = fault.machine, fault.machine.node[:8]
    return {
        "harvester_drop": [Expect("harvester_disconnected", farm.farmer.name, short)],
        "plot_loss": [Expect("plots_lost", m.name, short)],
        "disk_loss": [Expect("disk_gone", m.name, f"{m.mounts[0]} on {m.name}"), Expect("plots_lost", m.name, short)],
        "silence": [Expect("machine_silent", m.name, "")],
        "sp_gap": [Expect("missed_signage_points", farm.farmer.name, short)],
        "restart": [],
    }[fault.kind]


async def begin(fault: Fault, farm: SimFarm, vms: dict[str, VirtualMachine]) -> None:
    m, now = fault.machine, time.time()
    fault.began = now
    if fault.kind == "harvester_drop":
        m.disconnected_since = now
        vms[farm.farmer.name].wake()              # the farmer's daemon event wakes its client
    elif fault.kind == "plot_loss":
        lost = list(m.plots)[-max(3, len(m.plots) // 10):]
        m.lost_plots.update(lost)
        m.changed_plots()
        fault.detail = f" ({len(lost)} plots)"
    elif fault.kind == "disk_loss":
        mount = m.mounts[0]
        m.lost_disks.add(mount)
        m.changed_plots()
        fault.detail = f" ({mount}, {sum(1 for p in m.plots.values() if p.disk == mount)} plots)"
    elif fault.kind == "sp_gap":
        m.missing_sps = True
    elif fault.kind in ("silence", "restart"):
        await vms[m.name].stop()


async def end(fault: Fault, farm: SimFarm, vms: dict[str, VirtualMachine]) -> None:
    m = fault.machine
    fault.ended = time.time()
    if fault.kind == "harvester_drop":
        m.disconnected_since = 0.0
        vms[farm.farmer.name].wake()
    elif fault.kind == "plot_loss":
        m.lost_plots.clear()
        m.changed_plots()
    elif fault.kind == "disk_loss":
        m.lost_disks.clear()
        m.changed_plots()
    elif fault.kind == "sp_gap":
        m.missing_sps = False
    elif fault.kind in ("silence", "restart"):
        await vms[m.name].start()


async def run_faults(faults: list[Fault], farm: SimFarm, vms: dict[str, VirtualMachine], run_start: float) -> None:
    steps = sorted([(f.start, 0, i, f) for i, f in enumerate(faults)] +
                   [(f.start + f.duration, 1, i, f) for i, f in enumerate(faults)], key=lambda s: s[:3])
    for at, ending, _, fault in steps:
        await asyncio.sleep(max(0.0, run_start + at - time.time()))
        await (end if ending else begin)(fault, farm, vms)


# -- the bot: `teafarm bot` through the CLI, its console on a pipe ------------------------------

class Console:
    """The bot's stdout (its console transport) read line by line, each line with the time it came;
    `ask` types a command on its stdin and waits for the reply's title."""

    def __init__(self, bot: ServerProcess, path: Path) -> None:
        self.bot = bot
        self.lines: list[tuple[float, str]] = []
        self._file = open(path, "w", encoding="utf-8")
        self._changed = threading.Condition()
        self._thread = threading.Thread(target=self._read, name="bot-console", daemon=True)
        self._thread.start()

    def _read(self) -> None:
        for raw in self.bot.proc.stdout:
            line = raw.decode("utf-8", "replace").rstrip("\n")
            with self._changed:
                self.lines.append((time.time(), line))
                self._changed.notify_all()
            self._file.write(line + "\n")
        self._file.flush()

    def ask(self, command: str, title: str, timeout: float = 60.0) -> float | None:
        """Seconds from typing `command` until a line `title` is printed (None: no answer)."""
        with self._changed:
            seen = len(self.lines)
        started = time.time()
        try:
            self.bot.proc.stdin.write(f"{command}\n".encode())
            self.bot.proc.stdin.flush()
        except (OSError, ValueError):
            return None
        deadline = started + timeout
        with self._changed:
            while True:
                for at, line in self.lines[seen:]:
                    if line == title:
                        return at - started
                seen = len(self.lines)
                if not self._changed.wait(max(0.0, deadline - time.time())) and time.time() >= deadline:
                    return None

    def close(self) -> None:
        self._thread.join(timeout=30)
        self._file.close()


@dataclass
class Printed:
    """One alert as printed on the console (a merged message holds several)."""
    at: float
    machine: str
    title: str
    lines: tuple[str, ...]

    @property
    def signature(self) -> tuple:
        return self.machine, self.title, self.lines


ALERT_TITLE = re.compile(r"^\[(CRITICAL|WARNING|INFO|OK)\] (.*)$")
MERGED_TITLE = re.compile(r"^(?:Recovered on (\S+): .*|(\S+): \d+ alerts)$")
MACHINE_LINE = re.compile(r"^machine: (\S+?)(?:,|$)")


def normalized(lines, machine: str) -> tuple[str, ...]:
    """An alert's lines as a merged message shows them: no 'happened at', no 'machine: <its machine>'."""
    out = []
    for line in lines:
        if line.startswith("happened at "):
            continue
        prefix = f"machine: {machine}"
        if machine and line.startswith(prefix):
            line = line[len(prefix):].lstrip(", ")
        if line:
            out.append(line)
    return tuple(out)


BUTTONS_LINE = re.compile(r"(\[[^\]]+\] ?)+$")


def parse_console(lines: list[tuple[float, str]], titles: set[str]) -> list[Printed]:
    """Alerts printed on the console; replies to commands (here `/farm`: a line "Farm") are skipped."""
    blocks: list[list] = []
    current = None
    for at, line in lines:
        if (match := ALERT_TITLE.match(line)):
            current = [at, match.group(2), []]
            blocks.append(current)
        elif line == "Farm":
            current = None
        elif BUTTONS_LINE.match(line):   # the console's rendering of an alert's buttons: not its text
            continue
        elif current is not None:
            current[2].append(line)
    printed = []
    for at, title, body in blocks:
        merged = MERGED_TITLE.match(title)
        headings = [i for i, line in enumerate(body) if line.endswith(":") and line[:-1] in titles]
        if merged and headings and headings[0] == 0:
            machine = merged.group(1) or merged.group(2)
            for n, start in enumerate(headings):
                stop = headings[n + 1] if n + 1 < len(headings) else len(body)
                printed.append(Printed(at, machine, body[start][:-1], normalized(body[start + 1:stop], machine)))
        else:
            where = next((MACHINE_LINE.match(line) for line in body if MACHINE_LINE.match(line)), None)
            machine = where.group(1) if where else ""
            printed.append(Printed(at, machine, title, normalized(body, machine)))
    return printed


@dataclass
class AlertRow:
    """A row of the bot's alert outbox (bot.db)."""
    id: int
    created: float
    machine: str
    rule: str
    severity: str
    title: str
    lines: tuple[str, ...]
    source_time: float | None
    sent_to: str
    done: bool
    only_to: str

    @property
    def signature(self) -> tuple:
        return self.machine, self.title, normalized(self.lines, self.machine)

    @property
    def recovery(self) -> bool:
        return self.severity == "ok" and self.title.startswith("Recovered: ")

    @property
    def text(self) -> str:
        return " ".join((self.title, *self.lines))


def read_alert_outbox(botdb: Path) -> list[AlertRow]:
    with closing(sqlite3.connect(f"file:{botdb}?mode=ro", uri=True, timeout=30)) as conn:
        rows = conn.execute("SELECT id, created, machine, rule, severity, reply, source_time, sent_to, done, only_to "
                            "FROM outbox ORDER BY id").fetchall()
    found = []
    for row_id, created, machine, rule, severity, reply, source_time, sent_to, done, only_to in rows:
        data = json.loads(reply)
        lines = tuple(line for s in data["sections"] for line in s["lines"])
        found.append(AlertRow(row_id, created, machine, rule, data["severity"] or severity, data["title"], lines,
                              source_time, sent_to, bool(done), only_to))
    return found


def open_alerts(botdb: Path) -> list[tuple]:
    try:
        with closing(sqlite3.connect(f"file:{botdb}?mode=ro", uri=True, timeout=30)) as conn:
            return conn.execute("SELECT rule, machine, key, status, detail FROM alerts ORDER BY rule, machine").fetchall()
    except sqlite3.Error:
        return []


# -- what the clients queued, what the store holds ---------------------------------------------

EVENT_TYPE = {events_pb2.ADD: "ADD", events_pb2.UPDATE: "UPDATE", events_pb2.DELETE: "DELETE"}


def event_key(machine: str, event: events_pb2.UpdateEvent) -> tuple:
    topic = topic_of(event)
    message = getattr(event, topic.name)
    return (machine, topic.name, message.id if topic.keyed else "", EVENT_TYPE[event.event_type], event.timestamp,
            message.harvester_node_id if topic.name == "farming" else "")


def read_outbox(path: Path, machine: str) -> tuple[Counter, Counter]:
    """Every event ever queued in this outbox, and those still waiting in it."""
    sent, queued = Counter(), Counter()
    with closing(sqlite3.connect(f"file:{path}?mode=ro", uri=True)) as conn:
        for table, counter in (("sim_sent", sent), ("chunks", queued)):
            for (blob,) in conn.execute(f"SELECT events FROM {table}"):
                counter.update(event_key(machine, e) for e in service_pb2.EventBatch.FromString(blob).events)
    return sent, queued


def read_store(database: Path) -> Counter:
    stored = Counter()
    with closing(sqlite3.connect(f"file:{database}?mode=ro", uri=True, timeout=30)) as conn:
        for topic in TOPICS:
            extra = "harvester_node_id" if topic.name == "farming" else "''"
            for machine, ident, kind, client_time, node in conn.execute(
                    f'SELECT machine, id, event_type, client_time, {extra} FROM "{topic.event_table}"'):
                stored[(machine, topic.name, ident, kind, client_time, node)] += 1
    return stored


# -- watching the server: CPU, RSS, events, `/farm` ---------------------------------------------

@dataclass
class Sample:
    t: float              # seconds into the run
    bot_cpu: float        # % of one core, the bot and its store writer together
    bot_rss: int
    sim_cpu: float
    events: int           # highest sequence number stored
    db_bytes: int


class Monitor:
    def __init__(self, bot: ServerProcess, console: Console, run_start: float) -> None:
        self.bot = bot
        self.console = console
        self.run_start = run_start
        self.samples: list[Sample] = []
        self.farm_latency: list[tuple[float, float | None]] = []
        self._proc = psutil.Process(bot.proc.pid)
        self._me = psutil.Process()
        self._tasks: list[asyncio.Task] = []

    def start(self) -> None:
        self._tasks = [asyncio.create_task(self._sample_loop()), asyncio.create_task(self._farm_loop())]

    async def stop(self) -> None:
        for task in self._tasks:
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)

    def _bot_cpu(self) -> float:
        return cpu_used(self._proc) + sum(cpu_used(c) for c in self._children())

    def _children(self) -> list[psutil.Process]:
        try:
            return self._proc.children(recursive=True)
        except psutil.Error:
            return []

    async def _sample_loop(self) -> None:
        loop = asyncio.get_running_loop()
        last = (time.time(), self._bot_cpu(), cpu_used(self._me))
        n = 1
        while True:
            await asyncio.sleep(max(0.0, self.run_start + n * SAMPLE_EVERY - time.time()))
            n += 1
            now, bot_cpu, sim_cpu = time.time(), self._bot_cpu(), cpu_used(self._me)
            events, db_bytes = await loop.run_in_executor(None, _store_size, self.bot.database)
            dt = max(1e-6, now - last[0])
            self.samples.append(Sample(now - self.run_start, (bot_cpu - last[1]) / dt * 100, self.bot.rss(),
                                       (sim_cpu - last[2]) / dt * 100, events, db_bytes))
            last = (now, bot_cpu, sim_cpu)

    async def _farm_loop(self) -> None:
        loop = asyncio.get_running_loop()
        while True:
            await asyncio.sleep(FARM_EVERY)
            latency = await loop.run_in_executor(None, self.console.ask, "/farm", "Farm")
            self.farm_latency.append((time.time() - self.run_start, latency))

    def rss_at(self, t: float) -> int | None:
        """The server's RSS at `t` seconds into the run (the sample nearest to it)."""
        if not self.samples:
            return None
        return min(self.samples, key=lambda s: abs(s.t - t)).bot_rss


def _store_size(database: Path) -> tuple[int, int]:
    size = sum(p.stat().st_size for p in (database, database.with_name(database.name + "-wal")) if p.exists())
    try:
        with closing(sqlite3.connect(f"file:{database}?mode=ro", uri=True, timeout=5)) as conn:
            tables = [t.event_table for t in TOPICS]
            highest = max(conn.execute(f'SELECT max(seq) FROM "{t}"').fetchone()[0] or 0 for t in tables)
    except sqlite3.Error:
        highest = 0
    return highest, size


# -- the run ------------------------------------------------------------------------------------

@dataclass
class Options:
    machines: int = 50
    minutes: float = 2.0
    plots: int | None = None              # total; default 200 per machine (500 machines: 100,000)
    faults: str = "all"
    timing: str = "auto"                  # auto: real for runs of 20 minutes or more, else short
    folder: Path | None = None            # the bot's data and the logs (default: a temp dir, removed)
    disable: tuple[str, ...] = ()         # alert rules switched off in the bot's config (to see the verdict catch it)
    verbose: bool = False                 # print progress while running

    @property
    def run_seconds(self) -> float:
        return self.minutes * 60


@dataclass
class RunData:
    """Everything the verdict is made from (a test may tamper with it to see the verdict fail)."""
    faults: list[Fault]
    timing: Timing
    run_seconds: float
    rows: list[AlertRow]
    printed: list[Printed]
    sent: Counter
    stored: Counter
    queued: Counter
    open_alerts: list[tuple]
    rss: dict[int, int | None]            # seconds into the run -> server RSS
    bot_exit: int | None
    bot_errors: list[str]
    client_trouble: list[str] = field(default_factory=list)


@dataclass
class Result:
    data: RunData
    problems: list[str]
    report: str


def simulate(options: Options) -> Result:
    folder = options.folder or Path(tempfile.mkdtemp(prefix="teafarm-simfarm-"))
    # the virtual machines' own files (certificates, outboxes) are theirs, not the bot machine's
    # disk's: in memory where there is a /dev/shm
    shm = Path("/dev/shm")
    client_folder = Path(tempfile.mkdtemp(prefix="teafarm-simfarm-clients-", dir=shm if shm.is_dir() else None))
    try:
        return asyncio.run(_simulate(options, folder, client_folder))
    finally:
        shutil.rmtree(client_folder, ignore_errors=True)
        if options.folder is None:
            shutil.rmtree(folder, ignore_errors=True)


async def _simulate(options: Options, folder: Path, client_folder: Path) -> Result:
    run = options.run_seconds
    timing_name = options.timing if options.timing != "auto" else ("real" if run >= 20 * 60 else "short")
    timing = (real_timing if timing_name == "real" else short_timing)(options.machines, run)
    plots = options.plots if options.plots is not None else 200 * options.machines
    farm = SimFarm(options.machines, plots, timing)
    faults = schedule(farm, parse_faults(options.faults, options.machines))
    say = functools.partial(print, flush=True) if options.verbose else (lambda *a, **k: None)
    say(f"farm: {options.machines} machines, {plots:,} plots on "
        f"{sum(len(m.mounts) for m in farm.machines)} disks, {len(faults)} faults, timing {timing.name}, "
        f"run {run / 60:g} min; bot and logs in {folder}"
        + (f"; alerts switched off: {', '.join(options.disable)}" if options.disable else ""))
    alerts = {**timing.alerts, "rules": {**timing.alerts.get("rules", {})}}
    for rule in options.disable:
        if rule not in ALERTS:
            raise SystemExit(f"--disable-alert: unknown alert {rule!r} (known: {', '.join(ALERTS)})")
        alerts["rules"][rule] = {**alerts["rules"].get(rule, {}), "enabled": False}
    settings = {"logging": {"level": "INFO", "file_level": "INFO"}, "bot": {"alerts": alerts}}
    bot = ServerProcess(folder / "bot", command="bot", settings=settings, pipes=True, ready_text="teafarm bot running")
    (folder / "bot").mkdir(parents=True, exist_ok=True)
    with bot:
        console = Console(bot, folder / "console.txt")
        vms = {m.name: VirtualMachine(farm, m, client_folder, bot, timing.interval) for m in farm.machines}
        for vm in vms.values():
            vm.prepare()
        booted = time.time()
        await asyncio.gather(*(vm.start() for vm in vms.values()))
        deadline = booted + SYNC_TIMEOUT
        while not all(vm.synced() for vm in vms.values()):
            if time.time() > deadline or bot.proc.poll() is not None:
                raise RuntimeError(f"the farm did not sync within {SYNC_TIMEOUT:g} s "
                                   f"({sum(vm.synced() for vm in vms.values())} of {len(vms)} machines):\n{bot.log_tail()}")
            await asyncio.sleep(0.2)
        run_start = time.time()
        say(f"every machine synced {run_start - booted:.1f} s after the clients started; the run begins")
        monitor = Monitor(bot, console, run_start)
        monitor.start()
        printer = asyncio.create_task(_progress(monitor, say, 60.0 if timing.name == "real" else 30.0))
        await run_faults(faults, farm, vms, run_start)
        await asyncio.sleep(max(0.0, run_start + run - time.time()))
        rss = {60: monitor.rss_at(60), 120: monitor.rss_at(120), int(run): monitor.rss_at(run)}
        botdb = bot.data_dir / "bot.db"
        settle_deadline = time.time() + timing.settle
        while time.time() < settle_deadline and not _all_alerted(faults, read_alert_outbox(botdb)):
            await asyncio.sleep(1.0)
        still_open = open_alerts(botdb)
        farm.freeze()
        drain_deadline = time.time() + 30
        while any(vm.pending() for vm in vms.values()) and time.time() < drain_deadline:
            await asyncio.sleep(0.2)
        run_end = time.time()
        farm.trouble += [f"{name}: {vm.pending()} batches still unacknowledged 30 s after the farm stopped changing"
                         for name, vm in vms.items() if vm.pending()]
        printer.cancel()
        await monitor.stop()
        await asyncio.gather(*(vm.stop() for vm in vms.values()))
        bot_exit = bot.stop()
        console.close()
    log_text = bot.log_text()
    bot_errors = [line for line in log_text.splitlines() if " ERROR " in line or line.startswith("Traceback")]
    rows = read_alert_outbox(bot.data_dir / "bot.db")
    printed = parse_console(console.lines, {r.title for r in rows})
    sent, queued = Counter(), Counter()
    for m in farm.machines:
        s, q = read_outbox(client_folder / "outboxes" / f"{m.name}.db", m.name)
        sent += s
        queued += q
    stored = read_store(bot.database)
    data = RunData(faults, timing, run, rows, printed, sent, stored, queued, still_open, rss, bot_exit, bot_errors,
                   farm.trouble)
    problems = verify(data)
    report = render_report(options, farm, data, problems, monitor, bot, run_start, run_end, run_start - booted, plots)
    return Result(data, problems, report)


def _all_alerted(faults: list[Fault], rows: list[AlertRow]) -> bool:
    done = [r for r in rows if r.done]
    return all(any(_matches(e, r) and r.recovery for r in done) and any(_matches(e, r) and not r.recovery for r in done)
               for f in faults for e in f.expect)


async def _progress(monitor: Monitor, say, every: float) -> None:
    shown = 0
    while True:
        await asyncio.sleep(2.0)
        for sample in monitor.samples[shown:]:
            shown += 1
            if sample.t % every < SAMPLE_EVERY / 2 or every - sample.t % every < SAMPLE_EVERY / 2:
                say(_sample_line(monitor, sample))


# -- the verdict --------------------------------------------------------------------------------

def _matches(expect: Expect, row: AlertRow) -> bool:
    return row.rule == expect.rule and row.machine == expect.machine and expect.needle in row.text


def verify(data: RunData) -> list[str]:
    problems = []
    # events: queued by a client = stored once (or still queued in its outbox when the run stopped)
    lost = {k: n - data.stored[k] - data.queued[k] for k, n in data.sent.items() if n > data.stored[k] + data.queued[k]}
    doubled = {k: n - data.sent[k] for k, n in data.stored.items() if n > data.sent[k]}
    if lost:
        problems.append(f"{sum(lost.values())} events lost, e.g. {next(iter(lost))}")
    if doubled:
        problems.append(f"{sum(doubled.values())} events stored twice or never sent, e.g. {next(iter(doubled))}")
    # alerts: each outbox row printed once; nothing printed that is not in the outbox
    owed = [r for r in data.rows if not r.only_to]
    undelivered = [r for r in owed if not r.done]
    if undelivered:
        problems.append(f"{len(undelivered)} alerts never delivered, e.g. {undelivered[0].title} {undelivered[0].lines}")
    expected_prints = Counter(r.signature for r in owed if r.done)
    prints = Counter(p.signature for p in data.printed)
    problems += _capped([f"alert not printed on the console ({n}x): {signature}"
                         for signature, n in (expected_prints - prints).items()], "alerts not printed")
    problems += _capped([f"alert printed {n}x more than the outbox holds: {signature}"
                         for signature, n in (prints - expected_prints).items()], "alerts printed too often")
    for r in data.rows:
        if r.only_to:
            problems.append(f"a transport notice: {r.title} {r.lines}")
    # each scripted fault: its alerts fired once and recovered once, and nothing else was said
    claimed = set()
    for fault in data.faults:
        for expect in fault.expect:
            mine = [r for r in owed if _matches(expect, r)]
            claimed.update(r.id for r in mine)
            fired = [r for r in mine if not r.recovery and not r.title.startswith("Still: ")]
            recovered = [r for r in mine if r.recovery]
            if len(fired) != 1 or len(recovered) != 1:
                problems.append(f"{fault.describe()}: {expect.rule} fired {len(fired)}x and recovered "
                                f"{len(recovered)}x (expected once each)")
            elif recovered[0].id < fired[0].id:
                problems.append(f"{fault.describe()}: {expect.rule} recovered before it fired")
    stray: dict[tuple[str, bool], list[AlertRow]] = {}
    for r in owed:
        if r.id not in claimed:
            stray.setdefault((r.rule, r.recovery), []).append(r)
    for (rule, recovery), rows in sorted(stray.items()):
        first = rows[0]
        example = f"{first.title}: {' / '.join(first.lines)}"
        if len(rows) == 1:
            problems.append(f"unexpected alert ({rule}, {first.machine}): {example}")
        else:
            problems.append(f"unexpected alert ({rule}) x{len(rows)}{' (recoveries)' if recovery else ''} on "
                            f"{_names(r.machine for r in rows)}, e.g. {example}")
    still: dict[tuple[str, str], list[tuple]] = {}
    for alert in data.open_alerts:
        still.setdefault((alert[0], alert[3]), []).append(alert)
    for (rule, status), alerts in sorted(still.items()):
        _, machine, key, _, detail = alerts[0]
        problems.append(f"alert still {status} after the run: {rule} x{len(alerts)} on {_names(a[1] for a in alerts)}, "
                        f"e.g. {machine} {key}: {detail}")
    # the server
    one, two = data.rss.get(60), data.rss.get(120)
    if data.run_seconds >= 120 and one and two and two > one * 1.10:
        problems.append(f"server RSS grew {two / one * 100 - 100:.0f} % from 1 to 2 minutes "
                        f"({one / 2**20:.0f} -> {two / 2**20:.0f} MiB; at most 10 %)")
    if data.bot_exit != 0:
        problems.append(f"teafarm bot exited with {data.bot_exit} after SIGTERM")
    problems += [f"bot log: {line}" for line in data.bot_errors[:5]]
    problems += [f"client: {line}" for line in data.client_trouble]
    return problems


def _names(machines) -> str:
    names = sorted(set(machines))
    return f"{len(names)} machines ({', '.join(names[:4])}{', ...' if len(names) > 4 else ''})"


def _capped(lines: list[str], what: str, keep: int = 10) -> list[str]:
    return lines if len(lines) <= keep else [*lines[:keep], f"... and {len(lines) - keep} more {what}"]


# -- the report ---------------------------------------------------------------------------------

def _sample_line(monitor: Monitor, s: Sample) -> str:
    before = [p for p in monitor.samples if p.t <= s.t - 30] or [Sample(0, 0, 0, 0, monitor.samples[0].events, 0)]
    earlier = before[-1]
    rate = (s.events - earlier.events) / max(1e-6, s.t - earlier.t)
    farm = [lat for t, lat in monitor.farm_latency if s.t - 30 < t <= s.t and lat is not None]
    farm_text = f"{max(farm) * 1000:6.0f} ms" if farm else "     -   "
    return (f"  {s.t / 60:5.1f} min  {rate:8,.0f} events/s  server CPU {s.bot_cpu:5.1f} %  RSS {s.bot_rss / 2**20:6.1f} MiB  "
            f"db {s.db_bytes / 2**20:7.1f} MiB  /farm {farm_text}  simulator CPU {s.sim_cpu:5.1f} %")


def render_report(options: Options, farm: SimFarm, data: RunData, problems: list[str], monitor: Monitor,
                  bot: ServerProcess, run_start: float, run_end: float, sync_seconds: float, plots: int) -> str:
    out = [f"simulated farm: {options.machines} machines, {plots:,} plots, {len(data.faults)} faults, "
           f"timing {data.timing.name}, {data.run_seconds / 60:g} min run (+{run_end - run_start - data.run_seconds:.0f} s "
           f"to settle and drain) on {psutil.cpu_count()} cores"]
    out.append(f"initial sync of every machine: {sync_seconds:.1f} s")
    out.append("over time (events/s over the last 30 s; server = teafarm bot + its store writer):")
    for s in monitor.samples:
        if s.t % 30 < SAMPLE_EVERY / 2 or 30 - s.t % 30 < SAMPLE_EVERY / 2:
            out.append(_sample_line(monitor, s))
    run_samples = [s for s in monitor.samples if s.t <= data.run_seconds]
    if len(run_samples) >= 2:
        events = run_samples[-1].events - run_samples[0].events
        span = run_samples[-1].t - run_samples[0].t
        cpu = statistics.mean(s.bot_cpu for s in run_samples)
        out.append(f"events: {events / span:,.0f} events/s on average; server CPU {cpu:.0f} % of a core on average, "
                   f"max {max(s.bot_cpu for s in run_samples):.0f} %; server RSS "
                   f"{_mib(data.rss.get(60))} at 1 min, {_mib(data.rss.get(120))} at 2 min, "
                   f"{_mib(data.rss.get(int(data.run_seconds)))} at the end")
    sent, stored = sum(data.sent.values()), sum(data.stored.values())
    lost = sum(max(0, n - data.stored[k] - data.queued[k]) for k, n in data.sent.items())
    doubled = sum(max(0, n - data.sent[k]) for k, n in data.stored.items())
    out.append(f"events queued by the clients {sent:,}, stored {stored:,}, still queued {sum(data.queued.values()):,}: "
               f"{lost} lost, {doubled} duplicated")
    farm_ms = [lat * 1000 for _, lat in monitor.farm_latency if lat is not None]
    unanswered = sum(1 for _, lat in monitor.farm_latency if lat is None)
    if farm_ms:
        out.append(f"/farm on the bot's console under load ({len(farm_ms)} times): p50 {statistics.median(farm_ms):.0f} ms, "
                   f"p95 {percentile(farm_ms, 0.95):.0f} ms, max {max(farm_ms):.0f} ms"
                   + (f"; {unanswered} unanswered" if unanswered else ""))
    out += _alert_lines(data)
    out += _growth_lines(bot.database, bot.data_dir / "bot.db", run_start, data.run_seconds, data.timing,
                         data.faults, [m.name for m in farm.machines])
    out.append("faults:")
    for fault in data.faults:
        out.append(f"  {fault.describe()}")
    out.append("verdict: " + ("OK: nothing lost or doubled, every fault alerted once and recovered once" if not problems
                              else f"{len(problems)} problems"))
    out += [f"  - {p}" for p in problems[:40]]
    if len(problems) > 40:
        out.append(f"  ... and {len(problems) - 40} more")
    return "\n".join(out)


def _mib(value: int | None) -> str:
    return "-" if value is None else f"{value / 2**20:.0f} MiB"


def _alert_lines(data: RunData) -> list[str]:
    printed_at: dict[tuple, list[float]] = {}
    for p in data.printed:
        printed_at.setdefault(p.signature, []).append(p.at)
    owed = [r for r in data.rows if not r.only_to]
    bot_latency, by_kind = [], {}
    for fault in data.faults:
        for expect in fault.expect:
            mine = [r for r in owed if _matches(expect, r) and printed_at.get(r.signature)]
            firsts = [rows[0] for rows in ([r for r in mine if not r.recovery], [r for r in mine if r.recovery]) if rows]
            for r in firsts:          # the alert and its recovery (a second one is a problem of its own)
                at = printed_at[r.signature][0]
                wait = 0.0 if r.recovery else data.timing.wait_of(r.rule)
                if r.source_time:
                    bot_latency.append(at - r.source_time - wait)
                origin = fault.ended if r.recovery else fault.began
                by_kind.setdefault((fault.kind, expect.rule, r.recovery), []).append(at - origin)
    fired = sum(1 for r in owed if not r.recovery)
    out = [f"alerts: {fired} fired, {len(owed) - fired} recovered, {len(data.printed)} printed on the console"]
    if bot_latency:
        ms = [x * 1000 for x in bot_latency]
        out.append(f"alert latency (event received by the server -> printed on the console, the debounce not counted): "
                   f"p50 {statistics.median(ms):.0f} ms, p99 {percentile(ms, 0.99):.0f} ms, max {max(ms):.0f} ms "
                   f"({len(ms)} alerts)")
    if by_kind:
        out.append("fault -> alert on the console (includes the client interval, the debounce or silence threshold, the checks):")
        for (kind, rule, recovery), values in sorted(by_kind.items()):
            what = "recovered" if recovery else f"alert (waits {data.timing.wait_of(rule):g} s)"
            out.append(f"  {kind:<14} {rule:<22} {what:<20} median {statistics.median(values):6.1f} s  max {max(values):6.1f} s")
    return out


def _growth_lines(database: Path, botdb: Path, run_start: float, run: float, timing: Timing,
                  faults: list[Fault], machines: list[str]) -> list[str]:
    """Events per day per topic at the pace of the run without its faults (the farmer, plus the
    machines no fault touched scaled to the whole farm; farming time compressed back to real time),
    times bytes per row (sqlite's dbstat), with and without each topic's retention."""
    retention = ServerSettings().retention_days
    farmer, others = machines[0], machines[1:]
    touched = {f.machine.name for f in faults if f.kind != "restart"}
    quiet = [m for m in others if m not in touched]
    per_day, state_bytes = {}, 0
    with closing(sqlite3.connect(f"file:{database}?mode=ro", uri=True, timeout=30)) as conn:
        sizes = dict(conn.execute("SELECT name, sum(pgsize) FROM dbstat GROUP BY name").fetchall())
        owner = dict(conn.execute("SELECT name, tbl_name FROM sqlite_master WHERE type IN ('table', 'index')").fetchall())
        by_table = Counter()
        for name, size in sizes.items():
            by_table[owner.get(name, name)] += size
        for topic in TOPICS:
            rows = conn.execute(f'SELECT count(*) FROM "{topic.event_table}"').fetchone()[0]
            counts = dict(conn.execute(f'SELECT machine, count(*) FROM "{topic.event_table}" '
                                       f'WHERE server_time >= ? AND server_time < ? GROUP BY machine',
                                       (run_start, run_start + run)).fetchall())
            if quiet:
                in_run = counts.get(farmer, 0) + sum(counts.get(m, 0) for m in quiet) / len(quiet) * len(others)
            else:
                in_run = sum(counts.values())
            scale = 1 / timing.compression if topic.name in ("farming", "signage") else 1.0
            per_day[topic.name] = (in_run / run * 86400 * scale, by_table[topic.event_table] / rows if rows else 0)
            if not topic.is_fact:
                state_bytes += by_table[topic.state_table]
    grow = sum(n * b for n, b in per_day.values())
    kept = state_bytes + sum(n * b * retention.get(t, retention["default"]) for t, (n, b) in per_day.items())
    top = sorted(per_day.items(), key=lambda item: -item[1][0] * item[1][1])[:4]
    size = sum(p.stat().st_size for p in database.parent.glob("teafarm.db*"))
    bot_size = sum(p.stat().st_size for p in botdb.parent.glob("bot.db*"))
    return [f"database: {size / 2**20:.1f} MiB at the end (bot.db {bot_size / 2**20:.1f} MiB); at the pace of this "
            f"farm without faults it grows {grow / 2**20:,.0f} MiB/day and, with retention "
            f"({', '.join(f'{k} {v} d' for k, v in retention.items())}), levels off at {kept / 2**30:,.1f} GiB",
            "  most of it: " + ", ".join(f"{t} {n:,.0f} rows/day x {b:.0f} B" for t, (n, b) in top)]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--machines", type=int, default=50)
    parser.add_argument("--minutes", type=float, default=2.0, help="length of the run after every machine synced")
    parser.add_argument("--plots", type=int, default=None, help="plots in the whole farm (default 200 per machine)")
    parser.add_argument("--faults", default="all",
                        help=f"all (default: machines/25 of each), none, or kind=count,... of {', '.join(FAULT_KINDS)}")
    parser.add_argument("--timing", choices=("auto", "short", "real"), default="auto",
                        help="short: compressed (CI); real: chia's pace (auto: real from 20 minutes)")
    parser.add_argument("--keep", type=Path, help="keep the bot's data and logs in this folder")
    parser.add_argument("--disable-alert", action="append", default=[], metavar="RULE",
                        help="switch an alert rule off in the bot's config (the verdict should then fail)")
    args = parser.parse_args()
    logging.basicConfig(level=logging.WARNING, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    if args.keep:
        args.keep.mkdir(parents=True, exist_ok=True)
    result = simulate(Options(args.machines, args.minutes, args.plots, args.faults, args.timing, args.keep,
                              tuple(args.disable_alert), verbose=True))
    print(result.report)
    return 1 if result.problems else 0


if __name__ == "__main__":
    sys.exit(main())
