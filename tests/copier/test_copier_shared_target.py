"""Several copiers share a target (plotters filling one harvester's disks over NFS). A partial copy
carries its owner (host, boot id, pid) in `<name>.teafarm-partial.owner`; a copier removes only
partials whose copier is certainly gone. Before, a starting copier deleted the other's partial and
the other retired the disk for 300 s with a misleading "disk unmounted?"."""
from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
from pathlib import Path

from tests.helpers.copier import digest, make_plot, run_copy, status_of, write_config
from tests.helpers.waiting import wait_until

MB = 1_000_000
PARTIAL = ".teafarm-partial"


def boot_id() -> str:
    known = Path("/proc/sys/kernel/random/boot_id")
    return known.read_text().strip() if known.exists() else ""


def dead_pid() -> int:
    child = subprocess.Popen([sys.executable, "-c", "pass"])
    child.wait()
    return child.pid


def leave_partial(folder: Path, name: str, owner: dict | None, age_days: float = 0.0) -> Path:
    partial = folder / (name + PARTIAL)
    partial.write_bytes(b"half a plot")
    if owner is not None:
        (folder / (name + PARTIAL + ".owner")).write_text(json.dumps(owner))
    stamp = time.time() - age_days * 86400
    os.utime(partial, (stamp, stamp))
    return partial


def test_a_starting_copier_leaves_a_running_copiers_partial_alone(tmp_path, tmpfs, start_copier):
    shared = tmpfs("harvester-hdd", 30)
    first, second = tmp_path / "plotter-a", tmp_path / "plotter-b"
    name_a = "plot-k32-from-a.plot"
    expected_a = make_plot(first / "out", name_a, 4 * MB)
    expected_b = make_plot(second / "out", "plot-k32-from-b.plot", 1 * MB)
    copier_a = start_copier(write_config(first, [first / "out"], [shared], bandwidth_limit_mb=2.0))
    wait_until(lambda: (shared / (name_a + PARTIAL)).exists(), 45, "plotter A's copy to start", interval=0.02)
    assert (shared / (name_a + PARTIAL + ".owner")).exists()

    done = run_copy(write_config(second, [second / "out"], [shared]))   # plotter B starts meanwhile

    assert done.returncode == 0, done.stderr
    assert "removed stale partial" not in done.stderr
    assert digest(shared / "plot-k32-from-b.plot") == expected_b
    wait_until(lambda: (shared / name_a).exists() and not (first / "out" / name_a).exists(), 45,
               "plotter A's plot to arrive")
    assert digest(shared / name_a) == expected_a
    assert "retired" not in copier_a.log and "failed" not in copier_a.log
    assert sorted(p.name for p in shared.iterdir()) == ["plot-k32-from-a.plot", "plot-k32-from-b.plot"]


def test_only_partials_of_gone_copiers_on_this_host_are_removed(tmp_path, tmpfs):
    target, source = tmpfs("hdd", 10), tmp_path / "plotter"
    source.mkdir()
    host = socket.gethostname()
    dead = leave_partial(target, "plot-dead.plot", {"host": host, "boot_id": boot_id(), "pid": dead_pid()})
    rebooted = leave_partial(target, "plot-rebooted.plot",
                             {"host": host, "boot_id": "an-earlier-boot", "pid": os.getpid()})
    alive = leave_partial(target, "plot-alive.plot", {"host": host, "boot_id": boot_id(), "pid": os.getpid()})
    foreign = leave_partial(target, "plot-foreign.plot", {"host": "plotter-elsewhere", "boot_id": "x", "pid": 1})
    old_foreign = leave_partial(target, "plot-old.plot", {"host": "plotter-elsewhere", "boot_id": "x", "pid": 2},
                                age_days=2.0)
    ownerless = leave_partial(target, "plot-legacy.plot", None, age_days=3.0)
    (target / "plot-orphan.plot.teafarm-partial.owner").write_text(
        json.dumps({"host": host, "boot_id": boot_id(), "pid": dead_pid()}))   # its partial is gone

    done = run_copy(write_config(tmp_path, [source], [target]))

    assert done.returncode == 0, done.stderr
    left = sorted(p.name for p in target.iterdir())
    assert not dead.exists() and not rebooted.exists()
    assert "plot-dead.plot.teafarm-partial.owner" not in left and "plot-orphan.plot.teafarm-partial.owner" not in left
    assert alive.exists() and foreign.exists() and old_foreign.exists() and ownerless.exists()
    assert done.stderr.count("removed stale partial copy") == 2
    assert "plot-old.plot.teafarm-partial (host plotter-elsewhere, pid 2) untouched for 2.0 days" in done.stderr
    assert "plot-legacy.plot.teafarm-partial (no owner file: an older teafarm) untouched for 3.0 days" in done.stderr
    assert "plot-foreign" not in done.stderr, "a fresh foreign partial is nobody's business"


def test_a_partial_removed_under_a_copy_is_reported_and_the_disk_stays(tmp_path, tmpfs, start_copier):
    source, target = tmp_path / "plotter", tmpfs("hdd", 30)
    name = "plot-k32-vanish.plot"
    expected = make_plot(source, name, 4 * MB)
    copier = start_copier(write_config(tmp_path, [source], [target], bandwidth_limit_mb=2.0))
    partial = target / (name + PARTIAL)
    wait_until(lambda: partial.exists() and partial.stat().st_size > 0, 45, "the copy to start", interval=0.02)

    partial.unlink()   # what an older copier starting beside it did

    wait_until(lambda: (target / name).exists() and not (source / name).exists(), 45, "the plot to arrive anyway")
    assert digest(target / name) == expected
    failed = [j for j in status_of(tmp_path)["jobs"] if j["state"] == "failed"]
    assert len(failed) == 1 and "partial copy vanished during the copy" in failed[0]["error"], failed
    assert "retired" not in copier.log and "unmounted" not in copier.log
    assert {t["state"] for t in status_of(tmp_path)["targets"]} == {"available"}
    assert sorted(p.name for p in target.iterdir()) == [name]
