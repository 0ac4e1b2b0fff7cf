"""Benchmark: the bot's commands on a big farm, and how fast an event becomes a chat message.

1. A farm database with M machines (default 1,000), P plots (100,000) and E events (10 million):
   every machine's state (machine info, 4 disks, its harvester identity and P/M plots) goes in
   through the store's own apply(); the farmer's view of every harvester too. The farming buckets
   (one per harvester per minute, ~7 days of them: the bulk of the E events) are inserted with
   executemany into the same `farming_events` table the server writes, because sending 10 million
   events through gRPC would take the bench an hour and measures ingest, which bench/ingest.py does.
2. `/farm`, `/harvesters` and `/missed 7d` latency through the real command dispatcher (target
   under 200 ms), after the one-time fold of every bucket into the running totals in bot.db
   (printed separately: a bot does it in the background when first started on an old farm).
3. Event -> send latency: the whole bot (`BotApp`: gRPC server over mutual TLS, store, alert
   engine, outbox, delivery) runs in this process on that database with a recording transport; a
   real gRPC client streams harvester disconnect/reconnect events one at a time; for each alert,
   latency = the transport's send time - the server's receive time stored with the event
   (target p99 under 1 s), with the default alert settings but no debounce for this alert.

    .venv/bin/python -m bench.bot [--machines 1000] [--plots 100000] [--events 10000000]
                                 [--runs 20] [--alerts 200] [--keep DIR]

--keep DIR builds the database in DIR once and reuses it on the next run.
"""
from __future__ import annotations

import argparse
import asyncio
import random
import shutil
import sqlite3
import statistics
import tempfile
import time
import uuid
from collections.abc import Iterator
from contextlib import closing, contextmanager
from pathlib import Path

import grpc

from bench.common import HOST, free_port, node_of, percentile
from bot.alerts.settings import AlertSettings, RuleSettings
from bot.alerts.botdb import connect_botdb
from bot.commands.base import CommandContext
from bot.commands.dispatch import Dispatcher
from bot.reply import Reply
from bot.settings import BotSettings
from bot.stats import rollup
from bot.transports.base import Incoming, Transport
from monitor.certs import CertPair, ca_pair, issue
from monitor.server.settings import ServerSettings
from monitor.tls import client_credentials
from monitor.store.reader import StoreReader
from monitor.store.store import Store
from protocol import chia_pb2, events_pb2, hardware_pb2, service_pb2, service_pb2_grpc
from teafarm.apps import bot_app
from teafarm.config import Config

FARMER = "m0000"
CHUNK = 200_000


# -- the farm database ----------------------------------------------------------------------------

def build_database(path: Path, machines: int, plots: int, events: int) -> None:
    started = time.monotonic()
    store = Store(path)
    now = time.time()
    per_machine = plots // machines
    state_events = 0
    for m in range(machines):
        name = f"m{m:04d}"
        store.machine_connected(name, "0.1.0", 0.0, "ipv4:10.0.0.1")
        node = node_of(m)
        batch = [_event("machine_info", hardware_pb2.MachineInfo(hostname=name, teafarm_version="0.1.0", os="Linux")),
                 _event("harvester_identity", chia_pb2.HarvesterIdentity(id=node, node_id=node))]
        batch += [_event("disk", hardware_pb2.Disk(id=f"/mnt/d{d}", mountpoint=f"/mnt/d{d}", total_bytes=18 * 10**12,
                                                    used_bytes=17 * 10**12, free_bytes=10**12, percent=94.4))
                  for d in range(4)]
        batch += [_event("plot", chia_pb2.Plot(id=f"{m:04d}{p:06d}", harvester_node_id=node, filename=f"/mnt/d{p % 4}/plot-{p}.plot",
                                               k=32, file_size=108_800_000_000, status=chia_pb2.VALID, disk=f"/mnt/d{p % 4}"))
                  for p in range(per_machine)]
        store.apply(name, batch)
        state_events += len(batch)
    farmer = [_event("harvester", chia_pb2.Harvester(id=node_of(m), node_id=node_of(m), connected=True, plots=per_machine,
                                                      total_plot_size=per_machine * 108_800_000_000,
                                                      total_effective_size=per_machine * 108_800_000_000,
                                                      last_answer_time=now))
              for m in range(machines)]
    farmer += [_event("full_node", chia_pb2.FullNode(synced=True, peak_height=6_000_000, netspace_bytes=3e19, network="mainnet")),
               _event("wallet", chia_pb2.Wallet(synced=True, height=6_000_000, farmed_amount=10**12))]
    store.apply(FARMER, farmer)
    state_events += len(farmer)
    next_seq = store._next_seq       # the bulk insert below continues the store's sequence
    store.close()
    print(f"  state: {state_events:,} events through Store.apply in {time.monotonic() - started:.1f} s")
    _bulk_farming(path, next_seq, machines, max(0, events - state_events), now)
    print(f"  database ready in {time.monotonic() - started:.1f} s ({path.stat().st_size / 2**30:.2f} GiB)")


def _event(topic: str, message) -> events_pb2.UpdateEvent:
    event = events_pb2.UpdateEvent(event_type=events_pb2.ADD, timestamp=time.time())
    getattr(event, topic).CopyFrom(message)
    return event


def _bulk_farming(path: Path, seq: int, harvesters: int, count: int, now: float) -> None:
    started = time.monotonic()
    conn = sqlite3.connect(path, isolation_level=None)
    conn.execute("PRAGMA synchronous = OFF")
    columns = [r[1] for r in conn.execute("PRAGMA table_info(farming_events)")]
    minutes = max(1, count // harvesters)
    rng = random.Random(7)
    rows, written = [], 0
    conn.execute("BEGIN")
    for minute in range(minutes):
        t = now - (minutes - minute) * 60
        for h in range(harvesters):
            if written >= count:
                break
            missed = 1 if rng.random() < 0.02 else 0
            values = {"seq": seq, "machine": FARMER, "id": "", "event_type": "ADD", "client_time": t, "server_time": t,
                      "time": t, "harvester_node_id": node_of(h), "minute": t, "sp_expected": 6 + (minute % 3 == 0),
                      "sp_answered": 6 - missed, "sp_missed": missed, "sp_late_5s": 0, "sp_late_28s": 0,
                      "lookup_p50": 0.2, "lookup_p95": rng.choice((0.3, 0.6, 0.9, 1.5)), "lookup_max": 2.0,
                      "eligible_plots": 1, "expected_eligible": 0.4, "proofs": 0, "total_plots": 100}
            rows.append(tuple(values.get(c) for c in columns))
            seq += 1
            written += 1
            if len(rows) >= CHUNK:
                conn.executemany(f"INSERT INTO farming_events VALUES ({', '.join('?' * len(columns))})", rows)
                rows = []
        if written >= count:
            break
    if rows:
        conn.executemany(f"INSERT INTO farming_events VALUES ({', '.join('?' * len(columns))})", rows)
    conn.execute("COMMIT")
    conn.close()
    print(f"  farming buckets: {written:,} rows over {minutes / 1440:.1f} days in {time.monotonic() - started:.1f} s")


# -- 2. command latency ---------------------------------------------------------------------------

def bench_commands(database: Path, botdb: Path, runs: int) -> None:
    dispatcher = Dispatcher(lambda: CommandContext(StoreReader(database),
                                                   connect_botdb(botdb), AlertSettings()))
    started = time.monotonic()
    with closing(StoreReader(database)) as reader, closing(connect_botdb(botdb)) as conn:
        folded = rollup.catch_up(reader, conn)
    print(f"  first fold of the farming running totals (the bot does it in the background once): "
          f"{folded:,} buckets in {time.monotonic() - started:.1f} s")
    for text in ("/farm", "/harvesters", "/missed 7d"):
        samples = []
        for _ in range(runs):
            t0 = time.perf_counter()
            reply = dispatcher.run(Incoming("bench", "bench", "bench", "bench", text, is_dm=True, is_admin=True))
            samples.append((time.perf_counter() - t0) * 1000)
        lines = sum(len(s.lines) for s in reply.sections)
        print(f"  {text:<12} p50 {statistics.median(samples):7.1f} ms   p95 {percentile(samples, 0.95):7.1f} ms   "
              f"max {max(samples):7.1f} ms   ({lines} lines)")
    dispatcher.close()


# -- 3. event -> send latency ---------------------------------------------------------------------

class Recorder(Transport):
    name = "bench"

    async def start(self, handler) -> None:
        pass

    async def send_alert(self, reply: Reply) -> None:
        pass

    async def stop(self) -> None:
        pass


async def bench_latency(folder: Path, alerts: int) -> list[float]:
    port = free_port()
    config = Config(data_dir=folder, server=ServerSettings(listen=f"{HOST}:{port}"),
                    bot=BotSettings(alerts=AlertSettings(startup_grace=0.0, daily_summary="",
                                                         rules={"harvester_disconnected": RuleSettings(debounce=0.0)})))
    latencies: list[float] = []
    got = asyncio.Event()

    def on_sent(rows) -> None:
        now = time.time()
        latencies.extend(now - r["source_time"] for r in rows if r["source_time"])
        got.set()

    app = bot_app(config, transports=[Recorder()], on_sent=on_sent)
    await app.start()
    try:
        pair = CertPair(folder / "certs" / "bench-farmer.crt", folder / "certs" / "bench-farmer.key")
        issue(ca_pair(folder), pair, FARMER, [FARMER], server=False)
        credentials = client_credentials(pair, folder / "certs" / "ca.crt")
        async with grpc.aio.secure_channel(f"{HOST}:{port}", credentials) as channel:
            call = service_pb2_grpc.MonitorStub(channel).Stream()
            await call.write(service_pb2.ClientMessage(hello=service_pb2.Hello(
                outbox_id=uuid.uuid4().hex, client_time=time.time(), teafarm_version="bench", machine=FARMER, protocol_version=1)))
            await call.read()                                       # welcome
            for i in range(alerts):
                node = node_of(i % 50)
                connected = (i // 50) % 2 == 1                     # 50 disconnects, then 50 reconnects (recoveries) ...
                per = 100 * 108_800_000_000
                event = _event("harvester", chia_pb2.Harvester(id=node, node_id=node, connected=connected, plots=100,
                                                                total_plot_size=per, total_effective_size=per))
                event.event_type = events_pb2.UPDATE
                got.clear()
                before = len(latencies)
                await call.write(service_pb2.ClientMessage(batch=service_pb2.EventBatch(batch_id=i + 1, chunks=1, events=[event])))
                await call.read()                                   # ack: committed
                while len(latencies) == before:
                    await asyncio.wait_for(got.wait(), 30)
                    got.clear()
            await call.done_writing()
    finally:
        await app.stop()
    return latencies


def add_farm_arguments(parser: argparse.ArgumentParser) -> None:
    """The bench farm's size, and --keep to build its database once and reuse it."""
    parser.add_argument("--machines", type=int, default=1000)
    parser.add_argument("--plots", type=int, default=100_000)
    parser.add_argument("--events", type=int, default=10_000_000)
    parser.add_argument("--keep", type=Path, help="build the database here once and reuse it")


@contextmanager
def farm_folder(args: argparse.Namespace, prefix: str) -> Iterator[Path]:
    """A folder holding the bench farm's teafarm.db (built unless --keep has one); removed afterwards
    unless --keep named it."""
    folder = args.keep or Path(tempfile.mkdtemp(prefix=prefix))
    folder.mkdir(parents=True, exist_ok=True)
    database = folder / "teafarm.db"
    try:
        if not database.exists():
            print(f"building a farm: {args.machines:,} machines, {args.plots:,} plots, {args.events:,} events")
            build_database(database, args.machines, args.plots, args.events)
        else:
            print(f"reusing {database}")
        yield folder
    finally:
        if args.keep is None:
            shutil.rmtree(folder, ignore_errors=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    add_farm_arguments(parser)
    parser.add_argument("--runs", type=int, default=20, help="runs of each command")
    parser.add_argument("--alerts", type=int, default=200, help="alerts for the latency measurement")
    args = parser.parse_args()
    with farm_folder(args, "teafarm-bench-bot-") as folder:
        print("commands:")
        bench_commands(folder / "teafarm.db", folder / "bot.db", args.runs)
        ms = [x * 1000 for x in asyncio.run(bench_latency(folder, args.alerts))]
        print(f"event -> transport send ({len(ms)} alerts): p50 {statistics.median(ms):.1f} ms"
              f"   p99 {percentile(ms, 0.99):.1f} ms   max {max(ms):.1f} ms")


if __name__ == "__main__":
    main()
