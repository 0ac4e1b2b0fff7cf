"""Faults while copying: each leaves every plot intact (at the source, or complete at one target, never
truncated under its final name) and the copier running."""
from __future__ import annotations

import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.helpers.copier import digest, make_plot, run_copy, status_of, write_config
from tests.helpers.waiting import wait_until

MB = 1_000_000
PARTIAL = ".teafarm-partial"


def partial_started(folder: Path, name: str):
    partial = folder / (name + PARTIAL)
    return partial.exists() and partial.stat().st_size > 0


def copies_of(name: str, folders: list[Path]) -> list[Path]:
    return [folder / name for folder in folders if (folder / name).exists()]


def only_intact_copy(name: str, expected: str, source: Path, folders: list[Path]) -> Path:
    """The plot is complete at exactly one target and gone from the source."""
    found = copies_of(name, folders)
    assert len(found) == 1, f"{name} found at {found}"
    assert digest(found[0]) == expected
    assert not (source / name).exists()
    return found[0]


def failed_jobs(tmp_path: Path) -> list[dict]:
    return [j for j in status_of(tmp_path)["jobs"] if j["state"] == "failed"]


# A disk filling up mid-copy: the copy's space is reserved up front now, so on tmpfs someone else's
# filler gets ENOSPC instead (test_copier_space.py::test_the_reserved_space_is_the_copys); where the
# filesystem cannot reserve, the plot still goes elsewhere
# (test_copier_space.py::test_without_fallocate_a_disk_full_mid_copy_goes_elsewhere).


def test_target_unmounted_mid_copy(tmp_path, tmpfs, start_copier):
    source = tmp_path / "plotter"
    vanishing, other = tmpfs("hdd-a", 20), tmpfs("hdd-b", 8)
    name = "plot-k32-umount.plot"
    expected = make_plot(source, name, 4 * MB)
    copier = start_copier(write_config(tmp_path, [source], [vanishing, other], bandwidth_limit_mb=3.0,
                                       progress_log_interval=0.2, retired_probe_seconds=0.3))

    wait_until(lambda: partial_started(vanishing, name), 45, "the copy into hdd-a to start", interval=0.02)
    wait_until(lambda: f"copying {name} to {vanishing}:" in copier.log, 45, "a progress line in the log", interval=0.02)
    subprocess.run(["umount", "-l", str(vanishing)], check=True)

    wait_until(lambda: (other / name).exists() and not (source / name).exists(),
               45, "the plot to arrive at hdd-b", interval=0.02)
    only_intact_copy(name, expected, source, [vanishing, other])
    assert any("unmounted" in j["error"] for j in failed_jobs(tmp_path))
    assert "retired" in copier.log

    # a plot that only the empty mount point could take waits: it must never fill the disk below
    big = make_plot(source, "plot-k32-big.plot", 5 * MB)   # more than hdd-b has left
    wait_until(lambda: "no target has room" in copier.log, 45, "the copier to find no room", interval=0.02)
    time.sleep(1.0)   # several probes of hdd-a
    assert list(vanishing.iterdir()) == [] and digest(source / "plot-k32-big.plot") == big
    # a disk mounted there again is taken
    subprocess.run(["mount", "-t", "tmpfs", "-o", "size=20m", "tmpfs", str(vanishing)], check=True)
    wait_until(lambda: (vanishing / "plot-k32-big.plot").exists(),
               45, "the big plot to reach the new disk", interval=0.02)
    only_intact_copy("plot-k32-big.plot", big, source, [vanishing, other])
    assert copier.running()


def test_kill_9_mid_copy_then_restart(tmp_path, tmpfs, start_copier):
    source, target = tmp_path / "plotter", tmpfs("hdd", 20)
    name = "plot-k32-kill.plot"
    expected = make_plot(source, name, 6 * MB)
    (target / "plot-k32-next.plot.tmp").write_bytes(b"a plotter writes here too")
    (target / "notes.partial").write_bytes(b"not ours")
    copier = start_copier(write_config(tmp_path, [source], [target], bandwidth_limit_mb=3.0))
    wait_until(lambda: partial_started(target, name), 45, "the copy to start", interval=0.02)

    copier.kill9()
    assert digest(source / name) == expected
    assert (target / (name + PARTIAL)).exists() and not (target / name).exists()

    done = run_copy(write_config(tmp_path, [source], [target]))
    assert done.returncode == 0, done.stderr
    only_intact_copy(name, expected, source, [target])
    assert sorted(p.name for p in target.iterdir()) == ["notes.partial", name, "plot-k32-next.plot.tmp"]
    assert (target / "plot-k32-next.plot.tmp").read_bytes() == b"a plotter writes here too"
    assert "removed stale partial copy" in done.stderr
    assert failed_jobs(tmp_path) == [], "a restart is no failure (no copy_failed alert)"
    assert [j["state"] for j in status_of(tmp_path)["jobs"] if j["plot"] == name] == ["interrupted", "done"]


WRITER = """
import sys, time
with open(sys.argv[1], "wb") as out:
    for _ in range(int(sys.argv[2])):
        out.write(b"x" * 100_000); out.flush(); time.sleep(0.1)
    sys.stdin.readline()                 # hold the file open until the test says so
    out.write(b"end")
"""


@pytest.mark.skipif(not Path("/proc/self/fdinfo").is_dir(), reason="needs /proc (Linux) to see open files")
def test_plot_still_being_written_is_left_alone(tmp_path, tmpfs, start_copier):
    source, target = tmp_path / "plotter", tmpfs("hdd", 20)
    source.mkdir()
    plot = source / "plot-k32-growing.plot"
    writer = subprocess.Popen([sys.executable, "-c", WRITER, str(plot), "20"], stdin=subprocess.PIPE)
    try:
        copier = start_copier(write_config(tmp_path, [source], [target], stable_seconds=0.0))
        # while it grows and while it only sits open for writing, nothing may touch it
        wait_until(lambda: "still being written" in copier.log and plot.stat().st_size >= 2_000_000,
                   45, "the writer to finish its bytes (the copier watching)", interval=0.02)
        time.sleep(1.5)   # several scans while the file only sits open for writing, unmodified
        assert list(target.iterdir()) == [], "a plot open for writing was taken"
        writer.stdin.write(b"done\n")
        writer.stdin.close()
        assert writer.wait(timeout=10) == 0
        wait_until(lambda: (target / plot.name).exists(), 45, "the finished plot to move", interval=0.02)
        assert (target / plot.name).read_bytes() == b"x" * 2_000_000 + b"end"
        assert not plot.exists() and copier.running()
    finally:
        if writer.poll() is None:
            writer.kill()


def test_target_added_while_running_and_marker_excludes(tmp_path, start_copier):
    source, disks = tmp_path / "plotter", tmp_path / "disks"
    (disks / "hdd0").mkdir(parents=True)
    (disks / "hdd0" / ".teafarm-no-copy").write_text("")
    name = "plot-k32-new.plot"
    expected = make_plot(source, name, 1 * MB)
    make_plot(source, "plot-k32-deleted.plot", 1 * MB)
    copier = start_copier(write_config(tmp_path, [source], [str(disks / "hdd*")]))
    wait_until(lambda: len([j for j in status_of(tmp_path)["jobs"] if j["state"] == "queued"]) == 2,
               45, "both plots queued", interval=0.02)
    wait_until(lambda: "no target has room" in copier.log, 45, "the 'no target' warning", interval=0.02)
    assert {t["folder"]: t["state"] for t in status_of(tmp_path)["targets"]} == {str(disks / "hdd0"): "excluded"}
    (source / "plot-k32-deleted.plot").unlink()   # a source vanishes while queued: skipped, no failure
    wait_until(lambda: [j["plot"] for j in status_of(tmp_path)["jobs"]] == [name],
               45, "the vanished plot dropped", interval=0.02)
    assert "plot-k32-deleted.plot: source vanished; skipped" in copier.log

    (disks / "hdd1").mkdir()   # a disk is added

    wait_until(lambda: (disks / "hdd1" / name).exists(), 45, "the plot to reach the new disk", interval=0.02)
    assert digest(disks / "hdd1" / name) == expected and not (source / name).exists()
    assert list((disks / "hdd0").iterdir()) == [disks / "hdd0" / ".teafarm-no-copy"]
    assert copier.running()


def test_target_folder_vanishes_mid_copy(tmp_path, tmpfs, start_copier):
    source, disk = tmp_path / "plotter", tmpfs("hdd", 20)
    target = disk / "plots"
    name = "plot-k32-gone.plot"
    expected = make_plot(source, name, 4 * MB)
    copier = start_copier(write_config(tmp_path, [source], [target], bandwidth_limit_mb=3.0,
                                       retired_probe_seconds=0.5))
    wait_until(lambda: partial_started(target, name), 45, "the copy to start", interval=0.02)

    shutil.rmtree(target)

    wait_until(lambda: (target / name).exists() and not (source / name).exists(),
               45, "the plot to arrive again", interval=0.02)
    only_intact_copy(name, expected, source, [target])
    assert copier.log.count("created the folder") >= 2
    assert failed_jobs(tmp_path)
    assert copier.running()


def test_stop_mid_copy_abandons_the_copy_cleanly(tmp_path, tmpfs, start_copier):
    source, target = tmp_path / "plotter", tmpfs("hdd", 20)
    name = "plot-k32-stop.plot"
    expected = make_plot(source, name, 4 * MB)
    copier = start_copier(write_config(tmp_path, [source], [target], bandwidth_limit_mb=2.0))
    wait_until(lambda: partial_started(target, name), 45, "the copy to start", interval=0.02)

    copier.process.terminate()   # SIGTERM, as a service manager stops it

    assert copier.process.wait(timeout=30) == 0
    assert list(target.iterdir()) == [] and digest(source / name) == expected
    assert [j["state"] for j in status_of(tmp_path)["jobs"]] == ["interrupted"], "neither done nor failed"
