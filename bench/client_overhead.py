"""Benchmark: what `teafarm client` costs the machine it watches.

Runs a real `teafarm server` and `teafarm client` (subprocesses, temp dir, 127.0.0.1) and samples the
client's CPU time and RSS with psutil. Default: hardware collectors only. With `--plots N` the client
also watches chia: a farmer and one harvester with N plots served by a local mutual-TLS HTTPS server
answering recorded chia 2.7.5 payloads (a 100k-plot get_plots answer is ~60 MB of JSON), plus a
daemon websocket sending a signage point and the harvester's answer every 9.375 s.

Prints the first load (start until the plot list is read: peak RSS, CPU seconds) and the steady state
after it (average % of one core, peak RSS). Targets: steady state under 2 % of a core and 200 MB.
The system teafarm replaces needed 6.9 s of CPU per 1.5 s cycle and 634 MiB at 100k plots.

    .venv/bin/python -m bench.client_overhead [--seconds 60] [--plots 100000]
"""
from __future__ import annotations

import argparse
import os
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import psutil
import yaml

ROOT = Path(__file__).resolve().parents[1]
TEAFARM = str(Path(sys.executable).parent / "teafarm")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_for(predicate, timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise SystemExit(f"timed out waiting for {what}")
        time.sleep(0.2)


def start(args: list[str], log: Path, **kwargs) -> subprocess.Popen:
    return subprocess.Popen(args, stdout=open(log, "wb"), stderr=subprocess.STDOUT, cwd=ROOT, **kwargs)


def sample(process: psutil.Process, seconds: float, until=None) -> tuple[float, float, float]:
    """(cpu seconds used, wall seconds, peak RSS MiB) over `seconds` or until `until()` is true."""
    cpu0, wall0, peak = sum(process.cpu_times()[:2]), time.monotonic(), 0.0
    while time.monotonic() - wall0 < seconds and not (until and until()):
        peak = max(peak, process.memory_info().rss / 2**20)
        time.sleep(0.1)
    peak = max(peak, process.memory_info().rss / 2**20)
    return sum(process.cpu_times()[:2]) - cpu0, time.monotonic() - wall0, peak


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=60.0, help="steady-state measurement")
    parser.add_argument("--plots", type=int, default=0, help="serve a chia farmer+harvester with this many plots")
    parser.add_argument("--interval", type=float, default=5.0, help="the client's snapshot interval (its default)")
    parser.add_argument("--plot-rows", default="all", choices=["problems", "all", "none"],
                        help="chia.plot_rows: 'all' sends a row per plot (what /plots summarises)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="teafarm-bench-") as tmp:
        folder = Path(tmp)
        port = free_port()
        chia: dict = {"enabled": False}
        processes: list[subprocess.Popen] = []
        try:
            if args.plots:
                ports = [free_port() for _ in range(5)]
                fake = start([sys.executable, "-m", "tests.helpers.fake_chia", "--root", str(folder / "chia"),
                              "--plots", str(args.plots), "--ports", ",".join(map(str, ports))], folder / "fake-chia.log")
                processes.append(fake)
                wait_for(lambda: b"ready" in (folder / "fake-chia.log").read_bytes() or fake.poll() is not None,
                         120, "the fake chia services")
                chia = {"enabled": True, "root": str(folder / "chia"), "debug_log": "off", "plot_rows": args.plot_rows}
            config = folder / "config.yml"
            config.write_text(yaml.safe_dump({
                "data_dir": str(folder / "data"), "server": {"listen": f"127.0.0.1:{port}"},
                "client": {"server": f"127.0.0.1:{port}", "interval": args.interval, "machine_name": "benchbox"},
                "chia": chia}))
            server = start([TEAFARM, "server", "--config", str(config)], folder / "server.log")
            processes.append(server)
            wait_for(lambda: b"listening on" in (folder / "server.log").read_bytes(), 60, "the server")
            client = start([TEAFARM, "client", "--config", str(config)], folder / "client.log")
            processes.append(client)
            process = psutil.Process(client.pid)

            def loaded() -> bool:
                return not args.plots or b"plot list read" in (folder / "client.log").read_bytes()
            cpu, wall, peak = sample(process, 300, until=loaded)
            if not loaded():
                raise SystemExit("the client never read the plot list; see " + str(folder / "client.log"))
            if args.plots:
                print(f"first load ({args.plots:,} plots): {wall:.1f} s, {cpu:.2f} s CPU, peak RSS {peak:.0f} MiB")
            time.sleep(2 * args.interval)   # let the first big diff and send settle
            cpu, wall, peak = sample(process, args.seconds)
            what = f"{args.plots:,}-plot harvester, plot_rows {args.plot_rows}" if args.plots else "hardware only"
            print(f"steady state ({what}, {wall:.0f} s, snapshot every {args.interval:g} s): "
                  f"{100 * cpu / wall:.2f} % of one core, peak RSS {peak:.0f} MiB")
            print("targets: < 2 % of a core, < 200 MB RSS  (the predecessor at 100k plots: 6.9 s CPU per 1.5 s "
                  "cycle = 460 % of a core, 634 MiB)")
            if "Traceback" in (folder / "client.log").read_text(errors="replace"):
                print("WARNING: the client logged a traceback:", folder / "client.log")
        finally:
            for proc in reversed(processes):
                proc.terminate()
                try:
                    proc.wait(15)
                except subprocess.TimeoutExpired:
                    proc.kill()


if __name__ == "__main__":
    os.environ.setdefault("PYTHONUNBUFFERED", "1")
    main()
