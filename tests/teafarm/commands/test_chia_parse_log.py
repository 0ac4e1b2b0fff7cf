"""`teafarm chia parse-log` through the real CLI, as a subprocess, and the signage point counting
its summary relies on."""
from __future__ import annotations

import json
import subprocess
import sys
from datetime import datetime, timedelta
from pathlib import Path

from monitor.client.chia.logs.replay import rotation_order
from monitor.client.chia.logs.signage import SP_INTERVAL, SignagePointCounter
from tests.helpers.paths import REPO

TEAFARM = REPO / ".venv" / "bin" / "teafarm"
REAL = REPO / "tests" / "data" / "chia" / "debug-2.7.5-excerpt.log"
CC = "3c2d4e5f60718293a4b5c6d7e8f90a1b2c3d4e5f6a7b8c9d0e1f2a3b4c5d6e7f"


def teafarm(*args: str) -> subprocess.CompletedProcess:
    command = [str(TEAFARM)] if TEAFARM.exists() else [sys.executable, "-m", "teafarm.cli"]
    return subprocess.run([*command, *args], capture_output=True, text=True, timeout=120, cwd=REPO)


def sp_line(when: datetime, index: int) -> str:
    return (f"{when.isoformat(timespec='milliseconds')} 2.7.5 full_node chia.full_node.full_node: INFO     "
            f"⏲️  Finished signage point {index}/64: CC: {CC} RC: {CC} \n")


def test_summary_of_the_real_log() -> None:
    result = teafarm("chia", "parse-log", "--summary", str(REAL))
    assert result.returncode == 0, result.stderr
    out = result.stdout
    assert "lines: 307  recognised: 78  unrecognised: 229" in out
    assert "harvester_answer       28" in out
    assert "proofs: 6  v2 qualities: 0  blocks: 0" in out
    assert "lookup seconds: p50 0.00091  p95 0.06189  max 0.07103  (28 answers)" in out
    assert "eligible plots: 10 total" in out


def test_json_prints_one_object_per_recognised_line() -> None:
    result = teafarm("chia", "parse-log", "--json", str(REAL))
    assert result.returncode == 0, result.stderr
    rows = [json.loads(line) for line in result.stdout.splitlines()]
    assert len(rows) == 78
    proof = next(r for r in rows if r["kind"] == "harvester_answer" and r["proofs"] == 1)
    assert proof["time"] == "2026-11-28T01:46:10.682" and proof["service"] == "harvester"
    assert proof["challenge"] == "0c74ef3b38" and proof["v2_qualities"] == 0
    assert {"time", "service", "kind"} <= set(rows[0])


def test_rotated_files_given_in_any_order_are_read_oldest_first(tmp_path: Path) -> None:
    start = datetime(2026, 11, 20, 10, 0, 0)
    names = ["debug.log.2", "debug.log.1", "debug.log"]  # oldest .. newest
    index = 1
    for n, name in enumerate(names):
        with (tmp_path / name).open("w") as file:
            for i in range(10):
                file.write(sp_line(start + timedelta(seconds=SP_INTERVAL * (n * 10 + i)), index))
                index += 1
    given = [str(tmp_path / name) for name in ("debug.log", "debug.log.2", "debug.log.1")]
    result = teafarm("chia", "parse-log", "--json", "--summary", *given)
    rows = [json.loads(line) for line in result.stdout.splitlines() if line.startswith("{")]
    times = [row["time"] for row in rows]
    assert len(times) == 30 and times == sorted(times)
    assert "signage points: seen 30  skipped 0" in result.stdout
    # --summary alone reads the files in parallel and merges in order: the same summary
    parallel = teafarm("chia", "parse-log", "--summary", *given)
    assert parallel.stdout.splitlines() == [line for line in result.stdout.splitlines() if not line.startswith("{")]


def test_skipped_signage_points_in_the_summary(tmp_path: Path) -> None:
    start = datetime(2026, 11, 20, 10, 0, 0)
    log = tmp_path / "debug.log"
    with log.open("w") as file:
        for index in (1, 2, 3, 6, 7, 7, 8):  # 4 and 5 never came; 7 twice is one SP
            file.write(sp_line(start + timedelta(seconds=SP_INTERVAL * index), index))
        file.write("not a chia line at all\n")
    result = teafarm("chia", "parse-log", str(log))
    assert result.returncode == 0
    assert "signage points: seen 6  skipped 2" in result.stdout
    assert "lines: 8  recognised: 7  unrecognised: 1" in result.stdout


def test_missing_file_is_one_clear_line_and_exit_2(tmp_path: Path) -> None:
    result = teafarm("chia", "parse-log", str(REAL), str(tmp_path / "nope.log"))
    assert result.returncode == 2
    assert result.stderr.strip() == f"teafarm: error: chia parse-log: {tmp_path / 'nope.log'}: no such file"
    assert "Traceback" not in result.stderr
    folder = teafarm("chia", "parse-log", str(tmp_path))
    assert (folder.returncode, folder.stderr.strip()) == (2, f"teafarm: error: chia parse-log: {tmp_path}: not a file")


def test_rotation_order() -> None:
    paths = [Path(p) for p in ("a/debug.log", "a/debug.log.10", "a/debug.log.1", "a/debug.log.7", "a/debug.log.2")]
    assert [p.name for p in rotation_order(paths)] == [
        "debug.log.10", "debug.log.7", "debug.log.2", "debug.log.1", "debug.log"]


def test_signage_counter_sub_slots_gaps_and_late_lines() -> None:
    counter = SignagePointCounter()
    t = 1000.0
    for index in range(10, 64):          # joined mid sub-slot: nothing before 10 counts
        counter.signage_point(index, t + index * SP_INTERVAL)
    counter.sub_slot_finished(t + 64 * SP_INTERVAL)
    assert (counter.seen, counter.skipped) == (54, 0)
    t += 64 * SP_INTERVAL
    for index in (1, 2, 5):              # 3 and 4 skipped
        counter.signage_point(index, t + index * SP_INTERVAL)
    counter.signage_point(4, t + 5.5 * SP_INTERVAL)   # 4 arrives late: it was not skipped after all
    assert (counter.seen, counter.skipped) == (58, 1)
    counter.signage_point(60, t + 60 * SP_INTERVAL)   # 6..59 skipped
    counter.signage_point(2, t + 66 * SP_INTERVAL)    # the next sub-slot, its end line never came: 61..63, 1
    assert counter.skipped == 1 + 54 + 4
    counter.signage_point(30, t + 66 * SP_INTERVAL + 3600)  # an hour without SPs: counted by the schedule
    assert counter.skipped == 59 + int(3600 / SP_INTERVAL) - 1
