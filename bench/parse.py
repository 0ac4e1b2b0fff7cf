"""Benchmark: `teafarm chia parse-log` against a plain baseline, and over a 400 MiB rotated set.

Default: a 52 MB INFO log made by repeating the real chia 2.7.5 INFO lines of
tests/data/chia/debug-2.7.5-excerpt.log (part A, timestamps moved on 4 minutes per repetition) is read
by `teafarm chia parse-log` and by BASELINE, a plain script that does the least a log-based monitor
does (prefilter the lines holding `were eligible` or `Finished s`, one regex for harvester answers
and finished signage points). Both run as whole processes, in turn, 3 times each; the medians and
their ratio are printed (teafarm's speed as a share of the baseline's: target 0.7).

--rotated: debug.log.7 .. debug.log.1 and debug.log, 50 MiB each, with a generated INFO mix of chia
2.7.5 lines (about 12 % harvester answers, 12 % signage points, the rest other services), through
the real CLI: lines/s, MB/s and total seconds (target: the whole set in under 8 s on 2 cores).

    .venv/bin/python -m bench.parse [--mb 52] [--runs 3] [--keep DIR]
    .venv/bin/python -m bench.parse --rotated [--mib-per-file 50] [--files 8]
"""
from __future__ import annotations

import argparse
import os
import random
import re
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
V = "2.7.5"
SP_INTERVAL = 9.375
REAL_LOG = ROOT / "tests" / "data" / "chia" / "debug-2.7.5-excerpt.log"

# the yardstick: what a plain log reader costs (run as `python -c BASELINE FILE`)
BASELINE = r'''
import re, sys
LINE = re.compile(r"(\d+) plots were eligible for farming .*?Found (\d+) .*?Time: (\d+(?:\.\d+)?) s\. Total (\d+) plots"
                  r"|Finished signage point (\d+)/(\d+)")
answers = signage = proofs = 0
with open(sys.argv[1], encoding="utf-8", errors="replace") as log:
    for line in log:
        if "were eligible" in line or "Finished s" in line:
            match = LINE.search(line)
            if match is None:
                continue
            if match[1] is not None:
                answers += 1
                proofs += int(match[2])
            else:
                signage += 1
print(f"answers {answers}  signage points {signage}  proofs {proofs}")
'''


def info_log(path: Path, size: int) -> int:
    """A log of `size` bytes: the real INFO part of the excerpt, again and again, 4 minutes apart."""
    lines = REAL_LOG.read_text(encoding="utf-8").splitlines(keepends=True)
    start = next(i for i, line in enumerate(lines) if line.startswith("######## PART A")) + 1
    end = next(i for i, line in enumerate(lines) if line.startswith("######## PART B"))
    stamp = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}")
    written = repetition = 0
    with path.open("w", encoding="utf-8") as out:
        while written < size:
            shift = timedelta(minutes=4 * repetition)
            for line in lines[start:end]:
                if stamp.match(line):
                    line = (datetime.fromisoformat(line[:23]) + shift).isoformat(timespec="milliseconds") + line[23:]
                out.write(line)
                written += len(line.encode("utf-8"))
            repetition += 1
    return written


def _run(command: list[str]) -> tuple[float, str]:
    t0 = time.perf_counter()
    result = subprocess.run(command, capture_output=True, text=True)
    seconds = time.perf_counter() - t0
    if result.returncode != 0:
        raise SystemExit(f"{command[0]} failed:\n{result.stderr}")
    return seconds, result.stdout


def versus_baseline(folder: Path, size: int, runs: int) -> None:
    log = folder / "debug.log"
    written = info_log(log, size)
    (folder / "baseline.py").write_text(BASELINE, encoding="utf-8")
    log.read_bytes()  # into the page cache: both read it from memory
    python, teafarm = sys.executable, str(ROOT / ".venv" / "bin" / "teafarm")
    commands = {"baseline": [python, str(folder / "baseline.py"), str(log)],
                "teafarm": [teafarm, "chia", "parse-log", str(log)]}
    print(f"{log}: {written / 1e6:.1f} MB of real chia {V} INFO lines, repeated")
    for name, command in commands.items():
        print(f"  {name}: {' '.join(command)}")
    seconds: dict[str, list[float]] = {name: [] for name in commands}
    outputs = {}
    for _ in range(runs):  # in turn, so a machine that slows down slows both
        for name, command in commands.items():
            taken, outputs[name] = _run(command)
            seconds[name].append(taken)
    for name in commands:
        median = statistics.median(seconds[name])
        print(f"{name:>9}: median {median:.3f} s = {written / 1e6 / median:.1f} MB/s "
              f"(runs: {', '.join(f'{s:.3f}' for s in seconds[name])})")
    print(f"baseline says: {outputs['baseline'].strip()}")
    answers = re.search(r"harvester_answer\s+(\d+)", outputs["teafarm"])
    print(f"teafarm says: {answers[1] if answers else 0} harvester answers")
    ratio = statistics.median(seconds["baseline"]) / statistics.median(seconds["teafarm"])
    print(f"teafarm's speed / the baseline's: {ratio:.2f}x (target 0.7x); "
          f"{os.cpu_count()} cores, load average {os.getloadavg()[0]:.2f}")


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


def rotated(folder: Path, files: int, mib_per_file: int) -> int:
    t0 = time.perf_counter()
    paths = generate(folder, files, mib_per_file)
    total_bytes = sum(p.stat().st_size for p in paths)
    print(f"generated {len(paths)} files, {total_bytes / 2**20:.0f} MiB in {time.perf_counter() - t0:.1f} s")
    load_before = f"{os.getloadavg()[0]:.2f}"
    t0 = time.perf_counter()
    for path in paths:  # into the page cache, so the run below measures parsing, not the disk
        with path.open("rb") as file:
            while file.read(8 << 20):
                pass
    print(f"read once to warm the page cache: {time.perf_counter() - t0:.2f} s")
    empty = folder / "empty.log"
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


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--mb", type=float, default=52, help="size of the INFO log read against the baseline")
    parser.add_argument("--runs", type=int, default=3, help="runs of each command (the median counts)")
    parser.add_argument("--keep", type=Path, metavar="DIR",
                        help="write the log and baseline.py into DIR and keep them (to time them with other tools)")
    parser.add_argument("--rotated", action="store_true", help="the 400 MiB rotated set instead")
    parser.add_argument("--files", type=int, default=8)
    parser.add_argument("--mib-per-file", type=int, default=50)
    args = parser.parse_args()
    if args.keep:
        args.keep.mkdir(parents=True, exist_ok=True)
        if args.rotated:
            return rotated(args.keep, args.files, args.mib_per_file)
        versus_baseline(args.keep, int(args.mb * 1e6), args.runs)
        return 0
    with tempfile.TemporaryDirectory(prefix="teafarm-bench-parse-") as tmp:
        if args.rotated:
            return rotated(Path(tmp), args.files, args.mib_per_file)
        versus_baseline(Path(tmp), int(args.mb * 1e6), args.runs)
    return 0


if __name__ == "__main__":
    sys.exit(main())
