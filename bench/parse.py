"""Benchmark: `teafarm chia parse-log --summary` over a 400 MiB rotated debug.log set.

Generates (in a temp dir) debug.log.7 .. debug.log.1 and debug.log, 50 MiB each, with a realistic
INFO mix of chia 2.7.5 lines (about 12 % harvester answers, 12 % signage points, the rest other
services), runs the real CLI on it end to end and prints lines/s, MB/s and total seconds.
Target: the whole set in under 8 s (50 MB/s) on a 2-core machine.

    .venv/bin/python -m bench.parse [--mib-per-file 50] [--files 8]
"""
from __future__ import annotations

import argparse
import os
import random
import resource
import subprocess
import sys
import tempfile
import time
from datetime import datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
V = "2.7.5"
SP_INTERVAL = 9.375


def _hex(rng: random.Random, n: int = 64) -> str:
    return f"{rng.getrandbits(n * 4):0{n}x}"


def _other_line(rng: random.Random, stamp: str, height: int) -> str:
    """One of the many lines no rule cares about, from the services a full farm runs."""
    pick = rng.random()
    if pick < 0.30:
        return (f"{stamp} {V} full_node chia.full_node.full_node: INFO     Added unfinished_block {_hex(rng)}, "
                f"not farmed by us, SP: {rng.randrange(64)} farmer response time: {rng.random():.4f}, Pool pk "
                f"xch1{_hex(rng, 58)}, validation time: {rng.random():.4f} seconds, pre_validation time "
                f"{rng.random() / 10:.4f}, cost: {rng.randrange(10**9)}, percent full: {rng.random() * 10:.3f}%\n")
    if pick < 0.45:
        return (f"{stamp} {V} full_node full_node_server        : INFO     Connected with full_node "
                f"PeerInfo(_ip=IPv4Address('{rng.randrange(1, 255)}.{rng.randrange(255)}.{rng.randrange(255)}.1'), _port=8444)\n"
                if rng.random() < 0.05 else
                f"{stamp} {V} full_node chia.full_node.mempool_manager: INFO     add_spendbundle {_hex(rng)} took "
                f"{rng.random():.2f} seconds. Cost: {rng.randrange(10**7)} (0.{rng.randrange(999):03d}% of max block cost)\n")
    if pick < 0.60:
        return (f"{stamp} {V} wallet chia.wallet.wallet_blockchain: INFO     Peak set to: {height} timestamp: "
                f"{int(time.time())}\n" if rng.random() < 0.2 else
                f"{stamp} {V} wallet wallet_server            : INFO     Receiving message: coin_state_update\n")
    if pick < 0.75:
        return (f"{stamp} {V} full_node chia.full_node.full_node: INFO     🌱 Updated peak to height {height}, weight "
                f"{height * 2048}, hh {_hex(rng)}, ph {_hex(rng)}, forked at {height - 1}, rh: {_hex(rng)}, total iters: "
                f"{rng.randrange(10**15)}, overflow: False, deficit: 0, difficulty: 3712, sub slot iters: 578813952, "
                f"Generator size: No tx, Generator ref list size: No tx\n")
    if pick < 0.88:
        return (f"{stamp} {V} farmer chia.farmer.farmer         : INFO     Submitting partial for "
                f"{_hex(rng)} to https://pool.example.net\n")
    return (f"{stamp} {V} daemon chia.daemon.server         : INFO     Register service "
            f"{{'service': 'chia_wallet'}}\n")


def generate(folder: Path, files: int, mib_per_file: int, seed: int = 7) -> list[Path]:
    rng = random.Random(seed)
    start = datetime(2026, 11, 20, 0, 0, 0).timestamp()
    t, sp_index, height = start, 1, 6_000_000
    paths = [folder / "debug.log"] + [folder / f"debug.log.{n}" for n in range(1, files)]
    for path in reversed(paths):  # oldest (highest suffix) first, as chia wrote them
        size, limit = 0, mib_per_file << 20
        with path.open("w", encoding="utf-8") as out:
            while size < limit:
                t += SP_INTERVAL * 0.12  # 12 % of lines are SPs, one every 9.375 s
                stamp = datetime.fromtimestamp(t).isoformat(timespec="milliseconds")
                pick = rng.random()
                if pick < 0.12:
                    eligible = rng.randrange(6)
                    proofs = 1 if rng.random() < 0.002 else 0
                    line = (f"{stamp} {V} harvester chia.harvester.harvester: INFO     challenge_hash: {_hex(rng, 10)} ..."
                            f"{eligible} plots were eligible for farming challengeFound {proofs} V1 proofs and 0 V2 "
                            f"qualities. Time: {rng.random() * 0.5:.5f} s. Total 1250 plots\n")
                elif pick < 0.24:
                    line = (f"{stamp} {V} full_node chia.full_node.full_node: INFO     ⏲️  Finished signage point "
                            f"{sp_index}/64: CC: {_hex(rng)} RC: {_hex(rng)} \n")
                    if rng.random() < 0.01:
                        sp_index += 1  # a skipped SP now and then
                    sp_index += 1
                    if sp_index > 63:  # the end of a sub-slot
                        sp_index = 1
                        line += (f"{stamp} {V} full_node chia.full_node.full_node: INFO     ⏲️  Finished sub slot, "
                                 f"SP 64/64, {_hex(rng)}, number of sub-slots: 1, RC hash: {_hex(rng)}, Deficit 16\n")
                else:
                    if rng.random() < 0.02:
                        height += 1
                    line = _other_line(rng, stamp, height)
                out.write(line)
                size += len(line.encode("utf-8"))
    return paths


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--files", type=int, default=8)
    parser.add_argument("--mib-per-file", type=int, default=50)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="teafarm-bench-parse-") as tmp:
        t0 = time.perf_counter()
        paths = generate(Path(tmp), args.files, args.mib_per_file)
        total_bytes = sum(p.stat().st_size for p in paths)
        print(f"generated {len(paths)} files, {total_bytes / 2**20:.0f} MiB in {time.perf_counter() - t0:.1f} s")
        load_before = f"{os.getloadavg()[0]:.2f}"
        t0 = time.perf_counter()
        for path in paths:  # into the page cache, so the run below measures parsing, not the disk
            with path.open("rb") as file:
                while file.read(8 << 20):
                    pass
        print(f"read once to warm the page cache: {time.perf_counter() - t0:.2f} s")
        empty = Path(tmp) / "empty.log"
        empty.touch()
        teafarm = str(ROOT / ".venv/bin/teafarm")
        t0 = time.perf_counter()
        subprocess.run([teafarm, "chia", "parse-log", "--summary", str(empty)], capture_output=True, check=True)
        print(f"teafarm startup (parse-log of an empty file): {time.perf_counter() - t0:.2f} s")
        cmd = [teafarm, "chia", "parse-log", "--summary", *map(str, paths)]
        cpu0 = resource.getrusage(resource.RUSAGE_CHILDREN)
        t0 = time.perf_counter()
        result = subprocess.run(cmd, capture_output=True, text=True)
        seconds = time.perf_counter() - t0
        cpu1 = resource.getrusage(resource.RUSAGE_CHILDREN)
        cpu = (cpu1.ru_utime - cpu0.ru_utime) + (cpu1.ru_stime - cpu0.ru_stime)
        if result.returncode != 0:
            print(result.stderr, file=sys.stderr)
            return 1
        print(result.stdout)
        lines = int(result.stdout.split()[1])
        print(f"parse-log --summary: {seconds:.2f} s total, {lines / seconds:,.0f} lines/s, "
              f"{total_bytes / 1e6 / seconds:.1f} MB/s ({total_bytes / 2**20 / seconds:.1f} MiB/s)")
        print(f"CPU time of parse-log: {cpu:.2f} s ({total_bytes / 1e6 / cpu:.1f} MB/s of CPU); "
              f"load average before/after: {load_before} / {os.getloadavg()[0]:.2f} (2 cores shared: wall time "
              f"suffers when others are busy)")
        print(f"target: < 8 s for 400 MiB (50 MB/s): {'met' if total_bytes / 1e6 / seconds >= 50 else 'NOT met'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
