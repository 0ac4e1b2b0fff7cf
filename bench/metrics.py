"""Benchmark: one Prometheus scrape of `/metrics` on the big farm (target under 1 s).

The farm database of bench/bot.py (1,000 machines, 100,000 plots, 10 million events by default:
`build_database`) with each machine's CPU, RAM and chia services added, its farming buckets folded
once into the running totals in bot.db (as a bot does in the background), then the bot's metrics
server (bot.metrics: the same collector, its own read-only connections, its own HTTP thread)
scraped over HTTP on 127.0.0.1 with the headers Prometheus sends. A scrape's time is the whole GET:
reading the tables, formatting, compressing and transfer. The first scrape also groups the 100k
plot rows (redone only when a plot changes).

    .venv/bin/python -m bench.metrics [--machines 1000] [--plots 100000] [--events 10000000]
                                      [--runs 20] [--keep DIR]

--keep DIR builds the database in DIR once and reuses it (the same layout as bench.bot's --keep).
"""
from __future__ import annotations

import argparse
import gzip
import statistics
import time
import urllib.request
from contextlib import closing
from pathlib import Path

from bench.bot import add_farm_arguments, farm_folder
from bench.common import free_port, percentile
from bot.alerts.botdb import connect_botdb
from bot.metrics.server import MetricsServer
from bot.metrics.settings import MetricsSettings
from bot.stats import rollup
from monitor.store.reader import StoreReader
from monitor.store.store import Store
from protocol import chia_pb2, events_pb2, hardware_pb2


# what Prometheus 2.x/3.x sends (it prefers OpenMetrics and gzip)
PROMETHEUS_HEADERS = {
    "Accept": "application/openmetrics-text;version=1.0.0,application/openmetrics-text;version=0.0.1;q=0.75,"
              "text/plain;version=0.0.4;q=0.5,*/*;q=0.1",
    "Accept-Encoding": "gzip",
}


def scrape(port: int) -> bytes:
    request = urllib.request.Request(f"http://127.0.0.1:{port}/metrics", headers=PROMETHEUS_HEADERS)
    with urllib.request.urlopen(request, timeout=60) as response:
        data = response.read()
        return gzip.decompress(data) if response.headers.get("Content-Encoding") == "gzip" else data


def _event(topic: str, message) -> events_pb2.UpdateEvent:
    event = events_pb2.UpdateEvent(event_type=events_pb2.ADD, timestamp=time.time())
    getattr(event, topic).CopyFrom(message)
    return event


def add_machine_state(database: Path) -> None:
    """What every real client also sends and bench.bot's farm leaves out: CPU, RAM and the chia
    services of each machine (~10 samples a machine more)."""
    with closing(StoreReader(database)) as reader:
        if reader.query("SELECT count(*) FROM cpu")[0][0]:
            return
        machines = [r[0] for r in reader.query("SELECT machine FROM machines")]
    store = Store(database)
    try:
        for name in machines:
            store.apply(name, [
                _event("cpu", hardware_pb2.Cpu(usage_percent=12.5, frequency_mhz=3400, temperature_c=48, cores=16, load_1m=1.2)),
                _event("ram", hardware_pb2.Ram(total_bytes=32 * 2**30, used_bytes=6 * 2**30, available_bytes=26 * 2**30,
                                               percent=18.0, swap_total_bytes=2**30)),
                *(_event("chia_service", chia_pb2.ChiaService(id=service, state=chia_pb2.RUNNING, version="2.5.7"))
                  for service in ("daemon", "harvester"))])
    finally:
        store.close()
    print(f"  CPU, RAM and chia services of {len(machines):,} machines added")


def bench_scrapes(database: Path, botdb: Path, runs: int) -> None:
    started = time.monotonic()
    with closing(StoreReader(database)) as reader, closing(connect_botdb(botdb)) as conn:
        folded = rollup.catch_up(reader, conn)
    print(f"  first fold of the farming running totals (a bot does it in the background once): "
          f"{folded:,} buckets in {time.monotonic() - started:.1f} s")
    server = MetricsServer(MetricsSettings(listen=str(free_port())), database, botdb)
    server.start()
    try:
        t0 = time.perf_counter()
        body = scrape(server.port)              # the first opens the connections and reads cold pages
        first = (time.perf_counter() - t0) * 1000
        samples, cpu = [], []
        for _ in range(runs):
            t0, c0 = time.perf_counter(), time.process_time()   # the server thread is in this process
            body = scrape(server.port)
            samples.append((time.perf_counter() - t0) * 1000)
            cpu.append((time.process_time() - c0) * 1000)
    finally:
        server.stop()
    lines = [line for line in body.decode().splitlines() if line and not line.startswith("#")]
    collect = next(line for line in lines if line.startswith("teafarm_metrics_collect_duration_seconds"))
    print(f"  {len(lines):,} samples, {len(body) / 2**20:.1f} MiB; reading the tables: "
          f"{float(collect.split()[-1]) * 1000:.0f} ms of the last scrape")
    print(f"  scrape over HTTP ({runs} runs): p50 {statistics.median(samples):.0f} ms   "
          f"p95 {percentile(samples, 0.95):.0f} ms   max {max(samples):.0f} ms   (first: {first:.0f} ms)")
    print(f"  CPU per scrape (server and client, whatever else loads the machine): p50 {statistics.median(cpu):.0f} ms")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    add_farm_arguments(parser)
    parser.add_argument("--runs", type=int, default=20, help="scrapes to time")
    args = parser.parse_args()
    with farm_folder(args, "teafarm-bench-metrics-") as folder:
        database = folder / "teafarm.db"
        add_machine_state(database)
        print("/metrics:")
        bench_scrapes(database, folder / "bot.db", args.runs)


if __name__ == "__main__":
    main()
