"""Benchmark: server ingest, end to end over gRPC + mutual TLS against a real `teafarm server`.

1. Initial sync of a synthetic harvester with N plots (default 100,000): one outbox batch of plot
   ADD events, sent by the real Uplink (split into chunks), timed from enqueue until the server has
   acknowledged it (the ack follows the commit), then checked in the server's sqlite `plot` table.
   The same events applied by Store.apply in-process show how much of that is the store.
   Target: under 5 s end to end.
2. Sustained load: C simulated clients (default 200) in this one process, each with its own client
   certificate and bidi stream, sending batches of 10 events and waiting for each ack (--window 1)
   for S seconds after a warm-up. Prints events/s, requests/s and the CPU of the
   server's gRPC process and of its store writer process.
   Target: at least 20,000 events/s (the system we replace: 11,600/s in one large request,
   2,200/s in small ones).

Everything runs in a temp dir on 127.0.0.1 and is removed at the end.

    .venv/bin/python -m bench.ingest [--plots 100000] [--clients 200] [--seconds 20]
                                     [--warmup 3] [--window 1] [--skip-sync] [--skip-load]
"""
from __future__ import annotations

import argparse
import asyncio
import random
import sqlite3
import sys
import tempfile
import time
import uuid
from dataclasses import dataclass
from pathlib import Path

import grpc
import psutil

from bench.common import START_TIMEOUT, ServerProcess, issue_machine_cert, machine_credentials
from monitor.client.outbox import Outbox
from monitor.client.stream import PROTOCOL_VERSION, Uplink
from monitor.store.store import Store
from protocol import chia_pb2, events_pb2, hardware_pb2, service_pb2, service_pb2_grpc

SYNC_TIMEOUT = 300.0       # seconds for the initial sync to be acknowledged
REPLY_TIMEOUT = 60.0       # seconds a load client waits for one ack
EVENTS_PER_BATCH = 10
STORE_ALONE_BATCHES = 5_000  # of EVENTS_PER_BATCH, at most STORE_ALONE_SECONDS
STORE_ALONE_SECONDS = 5.0
PLOTS_PER_DISK = 165       # an 18 TB disk full of k32 plots


# -- 1. initial sync ----------------------------------------------------------------------------

def plot_events(count: int, seed: int = 7) -> list[events_pb2.UpdateEvent]:
    rng = random.Random(seed)
    harvester = f"{rng.getrandbits(256):064x}"
    now = time.time()
    events = []
    for i in range(count):
        plot_id = f"{rng.getrandbits(256):064x}"
        disk = f"/mnt/disk{i // PLOTS_PER_DISK:02d}"
        made = now - rng.uniform(0, 2 * 365 * 86400)
        stamp = time.strftime("%Y-%m-%d-%H-%M", time.gmtime(made))
        plot = chia_pb2.Plot(
            id=plot_id, harvester_node_id=harvester, filename=f"{disk}/plot-k32-{stamp}-{plot_id}.plot",
            k=32, compression=rng.randrange(8), file_size=int(108.8e9) + rng.randrange(-50_000_000, 50_000_000),
            time_modified=made, status=chia_pb2.VALID, disk=disk)
        events.append(events_pb2.UpdateEvent(event_type=events_pb2.ADD, timestamp=now, plot=plot))
    return events


def _plot_rows(database: Path, machine: str) -> int:
    conn = sqlite3.connect(f"file:{database}?mode=ro", uri=True, timeout=10)
    try:
        return conn.execute("SELECT COUNT(*) FROM plot WHERE machine = ?", (machine,)).fetchone()[0]
    finally:
        conn.close()


async def _sync_end_to_end(server: ServerProcess, folder: Path, events: list[events_pb2.UpdateEvent]) -> dict:
    """Seconds to enqueue, seconds from enqueue until acknowledged, server CPU seconds meanwhile."""
    machine = "bench-harvester"
    credentials = machine_credentials(server.data_dir, machine)
    outbox = Outbox(folder / "client-outbox.db")
    uplink = Uplink(server.target, credentials, outbox, machine, heartbeat=30.0, on_resync=lambda state: None)
    task = asyncio.create_task(uplink.run())
    try:
        await asyncio.wait_for(uplink.connected.wait(), START_TIMEOUT)
        await asyncio.sleep(0.5)   # let the (empty) resync after connecting finish
        server_cpu = sum(server.cpu_seconds())
        started = time.perf_counter()
        outbox.enqueue(events)
        enqueued = time.perf_counter()
        uplink.wake()
        deadline = started + SYNC_TIMEOUT
        while outbox.pending_count() and time.perf_counter() < deadline and not task.done():
            await asyncio.sleep(0.005)
        acked = time.perf_counter()
        server_cpu = sum(server.cpu_seconds()) - server_cpu
        if outbox.pending_count():
            raise RuntimeError(f"the sync was not acknowledged within {SYNC_TIMEOUT:g} s:\n{server.log_tail()}")
    finally:
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)
        outbox.close()
    rows = _plot_rows(server.database, machine)
    if rows != len(events):
        raise RuntimeError(f"the server's plot table holds {rows} rows for {machine}, expected {len(events)}")
    return {"enqueue": enqueued - started, "total": acked - started, "server_cpu": server_cpu}


def _store_alone(path: Path, machines: list[str], batches: list[list[events_pb2.UpdateEvent]],
                 seconds: float | None = None) -> tuple[int, float, float]:
    """Store.apply in this process, one transaction per batch, machines in turn.

    Stops after all batches or `seconds`; returns (events stored, wall seconds, CPU seconds).
    """
    store = Store(path)
    try:
        for machine in machines:
            store.machine_connected(machine, "bench", 0.0, "local")
        stored, wall, cpu = 0, time.perf_counter(), time.process_time()
        for number, events in enumerate(batches, 1):
            result = store.apply(machines[number % len(machines)], events, 0.0, ("bench-outbox", number))
            if result.applied != len(events):
                raise RuntimeError(f"Store.apply stored {result.applied} of {len(events)} events")
            stored += result.applied
            if seconds is not None and time.perf_counter() - wall > seconds:
                break
        return stored, time.perf_counter() - wall, time.process_time() - cpu
    finally:
        store.close()


def bench_sync(folder: Path, plots: int) -> None:
    events = plot_events(plots)
    size = sum(e.ByteSize() for e in events)
    with ServerProcess(folder / "sync") as server:
        sync = asyncio.run(_sync_end_to_end(server, folder / "sync", events))
    _, store, store_cpu = _store_alone(folder / "sync" / "store-alone.db", ["bench-harvester"], [events])
    total, enqueue = sync["total"], sync["enqueue"]
    print(f"initial sync {plots} plots: {total:.2f} s end to end (store alone {store:.2f} s)")
    print(f"  outbox enqueue {enqueue:.2f} s, send + server until ack {total - enqueue:.2f} s "
          f"(server CPU {sync['server_cpu']:.2f} s), store alone CPU {store_cpu:.2f} s; "
          f"{size / 1e6:.1f} MB of events, {plots / total:,.0f} plots/s; target < 5 s: {'met' if total < 5 else 'MISSED'}")


# -- 2. sustained load --------------------------------------------------------------------------

@dataclass
class Counters:
    connected: int = 0
    acked_batches: int = 0


def _changing_batch(rng: random.Random, now: float, serial: int) -> list[events_pb2.UpdateEvent]:
    """10 events a hardware collector would send: cpu, ram, 4 disks, 4 new processes."""
    update, add = events_pb2.UPDATE, events_pb2.ADD
    events = [
        events_pb2.UpdateEvent(event_type=update, timestamp=now, cpu=hardware_pb2.Cpu(
            usage_percent=rng.uniform(0, 100), frequency_mhz=rng.uniform(2000, 4000), temperature_c=rng.uniform(30, 80),
            cores=16, physical_cores=8, load_1m=rng.uniform(0, 16))),
        events_pb2.UpdateEvent(event_type=update, timestamp=now, ram=hardware_pb2.Ram(
            total_bytes=64 << 30, used_bytes=rng.randrange(1 << 30, 60 << 30), available_bytes=rng.randrange(1 << 30, 60 << 30),
            percent=rng.uniform(0, 100), swap_total_bytes=8 << 30, swap_used_bytes=rng.randrange(1 << 30), swap_percent=rng.uniform(0, 10))),
    ]
    for d in range(4):
        mount = f"/mnt/disk{d:02d}"
        used = rng.randrange(1 << 40, 18 << 40)
        events.append(events_pb2.UpdateEvent(event_type=update, timestamp=now, disk=hardware_pb2.Disk(
            id=mount, mountpoint=mount, device=f"/dev/sd{chr(97 + d)}1", fstype="ext4", total_bytes=18 << 40,
            used_bytes=used, free_bytes=(18 << 40) - used, percent=used / (18 << 40) * 100)))
    for p in range(4):
        pid = 1000 + (serial * 4 + p) % 60000
        events.append(events_pb2.UpdateEvent(event_type=add, timestamp=now, process=hardware_pb2.Process(
            id=f"{pid}-{now:.2f}", pid=pid, name="chia_harvester", cmdline="chia_harvester --service_name harvester",
            create_time=now, cpu_percent=rng.uniform(0, 100), rss_bytes=rng.randrange(100 << 20, 2 << 30), username="chia")))
    return events


async def _load_client(target: str, credentials: grpc.ChannelCredentials, name: str, window: int,
                       stop: asyncio.Event, counters: Counters) -> None:
    rng = random.Random(name)
    async with grpc.aio.secure_channel(target, credentials) as channel:
        call = service_pb2_grpc.MonitorStub(channel).Stream()
        await call.write(service_pb2.ClientMessage(hello=service_pb2.Hello(
            teafarm_version="bench", outbox_id=uuid.uuid4().hex, client_time=time.time(),
            protocol_version=PROTOCOL_VERSION, machine=name)))
        welcome = await asyncio.wait_for(call.read(), REPLY_TIMEOUT)
        if welcome is grpc.aio.EOF or welcome.WhichOneof("kind") != "welcome":
            raise RuntimeError(f"{name}: no welcome ({welcome})")
        counters.connected += 1
        batch_id = welcome.welcome.last_batch_id
        in_flight = 0
        while not stop.is_set() or in_flight:
            while in_flight < window and not stop.is_set():
                batch_id += 1
                events = _changing_batch(rng, time.time(), batch_id)
                await call.write(service_pb2.ClientMessage(batch=service_pb2.EventBatch(
                    batch_id=batch_id, chunk=0, chunks=1, events=events)))
                in_flight += 1
            reply = await asyncio.wait_for(call.read(), REPLY_TIMEOUT)
            if reply is grpc.aio.EOF or reply.WhichOneof("kind") != "ack":
                raise RuntimeError(f"{name}: expected an ack, got {reply}")
            in_flight -= 1
            counters.acked_batches += 1
        await call.done_writing()


async def _run_load(server: ServerProcess, clients: int, seconds: float, warmup: float, window: int) -> dict:
    names = [f"bench-{i:03d}" for i in range(clients)]   # every simulated machine gets its own certificate
    credentials = [machine_credentials(server.data_dir, name, issue_machine_cert) for name in names]
    stop, counters = asyncio.Event(), Counters()
    tasks = [asyncio.create_task(_load_client(server.target, c, n, window, stop, counters))
             for n, c in zip(names, credentials)]
    try:
        deadline = time.monotonic() + START_TIMEOUT + clients * 0.1
        while counters.connected < clients and time.monotonic() < deadline and not any(t.done() for t in tasks):
            await asyncio.sleep(0.05)
        if counters.connected < clients:
            failed = [t for t in tasks if t.done() and t.exception()]
            reason = repr(failed[0].exception()) if failed else "timed out"
            raise RuntimeError(f"only {counters.connected} of {clients} clients connected ({reason})")
        await asyncio.sleep(warmup)
        me, server_proc = psutil.Process(), psutil.Process(server.proc.pid)
        psutil.cpu_percent()  # starts the machine-wide measurement
        start_batches, start_time = counters.acked_batches, time.perf_counter()
        start_server, start_me = server.cpu_seconds(), sum(me.cpu_times()[:2])
        server_rss = 0
        end = start_time + seconds
        while time.perf_counter() < end and not any(t.done() for t in tasks):
            await asyncio.sleep(min(0.5, max(0.0, end - time.perf_counter())))
            server_rss = max(server_rss, sum(p.memory_info().rss for p in [server_proc, *server_proc.children()]))
        elapsed = time.perf_counter() - start_time
        batches = counters.acked_batches - start_batches
        grpc_cpu, writer_cpu = (now - start for now, start in zip(server.cpu_seconds(), start_server))
        stats = {
            "elapsed": elapsed, "batches": batches, "grpc_cpu": grpc_cpu / elapsed * 100,
            "writer_cpu": writer_cpu / elapsed * 100,
            "bench_cpu": (sum(me.cpu_times()[:2]) - start_me) / elapsed * 100, "machine_cpu": psutil.cpu_percent(),
            "server_rss": server_rss,
        }
    finally:
        stop.set()
        results = await asyncio.wait_for(asyncio.gather(*tasks, return_exceptions=True), REPLY_TIMEOUT + 10)
    errors = [r for r in results if isinstance(r, BaseException)]
    if errors:
        raise RuntimeError(f"{len(errors)} of {clients} clients failed, first: {errors[0]!r}")
    return stats


def bench_load(folder: Path, clients: int, seconds: float, warmup: float, window: int) -> None:
    with ServerProcess(folder / "load") as server:
        stats = asyncio.run(_run_load(server, clients, seconds, warmup, window))
        conn = sqlite3.connect(f"file:{server.database}?mode=ro", uri=True, timeout=10)
        try:
            machines = conn.execute("SELECT COUNT(*) FROM machines").fetchone()[0]
        finally:
            conn.close()
    events = stats["batches"] * EVENTS_PER_BATCH
    rate = events / stats["elapsed"]
    per_event = {part: stats[part] / 100 * stats["elapsed"] / max(events, 1) * 1e6 for part in ("grpc_cpu", "writer_cpu")}
    print(f"sustained load {clients} clients, {EVENTS_PER_BATCH} events/batch, window {window}: "
          f"{rate:,.0f} events/s, {stats['batches'] / stats['elapsed']:,.0f} requests/s over {stats['elapsed']:.1f} s "
          f"(server CPU: gRPC process {stats['grpc_cpu']:.0f} %, store writer {stats['writer_cpu']:.0f} %)")
    # each of the server's two processes runs Python under its own GIL: a core each is their ceiling
    print(f"  {events:,} events acknowledged; server CPU per event: gRPC {per_event['grpc_cpu']:.0f} us, "
          f"store writer {per_event['writer_cpu']:.0f} us; server RSS "
          f"{stats['server_rss'] / 2**20:.0f} MiB; bench clients CPU {stats['bench_cpu']:.0f} %; whole machine "
          f"{stats['machine_cpu']:.0f} % of {psutil.cpu_count()} cores; {machines} machines registered; "
          f"target >= 20,000 events/s: {'met' if rate >= 20_000 else 'MISSED'}")
    rng = random.Random(3)
    names = [f"bench-{i:03d}" for i in range(clients)]
    batches = [_changing_batch(rng, time.time(), n) for n in range(STORE_ALONE_BATCHES)]
    stored, wall, cpu = _store_alone(folder / "load" / "store-alone.db", names, batches, STORE_ALONE_SECONDS)
    print(f"  store alone, same batches, one transaction each: {stored / wall:,.0f} events/s, "
          f"{cpu / stored * 1e6:.0f} us CPU/event")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--plots", type=int, default=100_000, help="plots of the synthetic harvester")
    parser.add_argument("--clients", type=int, default=200, help="simulated clients for the load test")
    parser.add_argument("--seconds", type=float, default=20.0, help="measured duration of the load test")
    parser.add_argument("--warmup", type=float, default=3.0, help="seconds of load before measuring")
    parser.add_argument("--window", type=int, default=1, help="batches each client sends before waiting for an ack")
    parser.add_argument("--skip-sync", action="store_true", help="skip the initial sync benchmark")
    parser.add_argument("--skip-load", action="store_true", help="skip the sustained load benchmark")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="teafarm-bench-ingest-") as tmp:
        folder = Path(tmp)
        if not args.skip_sync:
            (folder / "sync").mkdir()
            bench_sync(folder, args.plots)
        if not args.skip_load:
            (folder / "load").mkdir()
            bench_load(folder, args.clients, args.seconds, args.warmup, args.window)
    return 0


if __name__ == "__main__":
    sys.exit(main())
