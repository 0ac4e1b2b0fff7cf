"""Benchmark: every chart and the daily summary on the 1,000-machine bench farm (bench/bot.py builds
it: 1,000 machines, 100,000 plots, 10 million events, ~7 days of farming buckets); target under
1 s each. The first chart pays matplotlib's import (printed apart); each chart is then timed over
--runs runs after the one-time fold of the farming buckets into bot.db.

    .venv/bin/python -m bench.charts [--machines 1000] [--plots 100000] [--events 10000000]
                                    [--runs 5] [--keep DIR] [--save docs/chart-missed.png]
"""
from __future__ import annotations

import argparse
import statistics
import time
from contextlib import closing
from pathlib import Path

from bench.bot import add_farm_arguments, farm_folder
from bench.common import percentile
from bot.alerts.botdb import connect_botdb
from bot.alerts.settings import AlertSettings
from bot.alerts.summary import daily_summary
from bot.commands.base import CommandContext
from bot.commands.chart import CHARTS
from bot.stats import rollup
from monitor.store.reader import StoreReader

TIMED = {"missed 24h": ("missed", "24h"), "missed 7d": ("missed", "7d"), "lookup 24h": ("lookup", "24h"),
         "proofs 7d": ("proofs", "7d"), "plots 30d": ("plots", "30d"), "disks": ("disks", "")}


def bench(database: Path, botdb: Path, runs: int, save: Path | None) -> None:
    with closing(StoreReader(database)) as reader, closing(connect_botdb(botdb)) as conn:
        started = time.monotonic()
        folded = rollup.catch_up(reader, conn)
        print(f"  first fold of the farming running totals (once, in the background in a bot): "
              f"{folded:,} buckets in {time.monotonic() - started:.1f} s")
        ctx = CommandContext(reader, conn, AlertSettings())
        t0 = time.perf_counter()
        CHARTS["disks"](ctx)
        print(f"  first chart, matplotlib's import included: {(time.perf_counter() - t0) * 1000:.0f} ms")
        for label, (name, window) in TIMED.items():
            samples = []
            for _ in range(runs):
                t0 = time.perf_counter()
                chart = CHARTS[name](ctx, window) if window else CHARTS[name](ctx)
                samples.append((time.perf_counter() - t0) * 1000)
            print(f"  /chart {label:<11} p50 {statistics.median(samples):6.0f} ms   max {max(samples):6.0f} ms   "
                  f"({len(chart.series)} series, {len(chart.png) / 1024:.0f} KiB)")
            if save is not None and label == "missed 7d":
                save.write_bytes(chart.png)
                print(f"  saved {save}")
        samples = []
        for _ in range(runs):
            t0 = time.perf_counter()
            reply = daily_summary(ctx)
            samples.append((time.perf_counter() - t0) * 1000)
        print(f"  daily summary     p50 {statistics.median(samples):6.0f} ms   p95 {percentile(samples, 0.95):6.0f} ms   "
              f"max {max(samples):6.0f} ms   ({sum(len(s.lines) for s in reply.sections)} lines, 1 chart)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    add_farm_arguments(parser)
    parser.add_argument("--runs", type=int, default=5, help="runs of each chart")
    parser.add_argument("--save", type=Path, help="write the 'missed 7d' chart here (docs/chart-missed.png)")
    args = parser.parse_args()
    with farm_folder(args, "teafarm-bench-charts-") as folder:
        print("charts:")
        bench(folder / "teafarm.db", folder / "bot.db", args.runs, args.save)


if __name__ == "__main__":
    main()
