"""The copier moves finished plots: every plot arrives exactly once, byte-identical, sources gone."""
from __future__ import annotations

import os
import subprocess
import time
from pathlib import Path

from tests.helpers.backbone import TEAFARM
from tests.helpers.copier import digest, make_plot, run_copy, status_of, write_config

MB = 1_000_000


def plots_in(folders: list[Path]) -> dict[str, list[Path]]:
    found: dict[str, list[Path]] = {}
    for folder in folders:
        for path in folder.iterdir():
            if path.name.endswith((".plot", ".plot2")):
                found.setdefault(path.name, []).append(path)
    return found


def leftovers(folders: list[Path]) -> list[Path]:
    return [p for folder in folders for p in folder.iterdir() if p.name.endswith(".teafarm-partial")]


def test_two_sources_three_targets_every_plot_arrives_once_intact(tmp_path, tmpfs):
    sources = [tmp_path / "plotter-a", tmp_path / "plotter-b"]
    targets = [tmpfs(f"hdd{i}", 40) for i in range(3)]
    expected = {}
    for i in range(4):
        expected[f"plot-k32-a{i}.plot"] = make_plot(sources[0], f"plot-k32-a{i}.plot", 3 * MB + i)
        expected[f"plot-k32-b{i}.plot2"] = make_plot(sources[1], f"plot-k32-b{i}.plot2", 2 * MB + i)
    (sources[0] / "plot-k32-tmp.plot.tmp").write_bytes(b"plotter temp file")      # never taken
    (targets[0] / "plot-k32-other.plot.tmp").write_bytes(b"another plotter's temp")  # never touched
    config = write_config(tmp_path, sources, targets, verify_checksum=True, max_writers=3)

    done = run_copy(config)

    assert done.returncode == 0, done.stderr
    arrived = plots_in(targets)
    assert sorted(arrived) == sorted(expected)
    for name, paths in arrived.items():
        assert len(paths) == 1, f"{name} arrived {len(paths)} times"
        assert digest(paths[0]) == expected[name], f"{name} differs from the source"
    assert sorted(p.name for p in sources[0].iterdir()) == ["plot-k32-tmp.plot.tmp"]
    assert list(sources[1].iterdir()) == []
    assert (targets[0] / "plot-k32-other.plot.tmp").read_bytes() == b"another plotter's temp"
    assert leftovers(targets) == []
    assert len({p[0].parent for p in arrived.values()}) == 3, "all three targets should be used"
    jobs = status_of(tmp_path)["jobs"]
    assert sorted(j["plot"] for j in jobs if j["state"] == "done") == sorted(expected)
    assert "copied plot-k32-a0.plot" in done.stderr and "MB/s" in done.stderr


def test_complete_copy_at_a_target_drops_the_source_and_a_different_file_is_never_overwritten(tmp_path, tmpfs):
    """A copier killed between the rename and deleting the source: the next run only deletes the source.
    A different file that happens to have a plot's name stays as it is; the plot goes elsewhere."""
    source, holding, free = tmp_path / "plotter", tmpfs("hdd-a", 30), tmpfs("hdd-b", 20)
    copied = make_plot(source, "plot-k32-dup.plot", 2 * MB)
    (holding / "plot-k32-dup.plot").write_bytes((source / "plot-k32-dup.plot").read_bytes())
    expected = make_plot(source, "plot-k32-same.plot", 2 * MB)
    (holding / "plot-k32-same.plot").write_bytes(os.urandom(2 * MB))
    other = digest(holding / "plot-k32-same.plot")

    done = run_copy(write_config(tmp_path, [source], [holding, free]))

    assert done.returncode == 0, done.stderr
    assert list(source.iterdir()) == []
    assert digest(holding / "plot-k32-dup.plot") == copied and not (free / "plot-k32-dup.plot").exists()
    assert "already complete" in done.stderr
    assert digest(holding / "plot-k32-same.plot") == other
    assert digest(free / "plot-k32-same.plot") == expected


def test_per_target_writer_limit_holds_under_load(tmp_path, tmpfs):
    source = tmp_path / "plotter"
    targets = [tmpfs("hdd-a", 40), tmpfs("hdd-b", 40)]
    for i in range(6):
        make_plot(source, f"plot-k32-{i}.plot", 1_500_000)
    config = write_config(tmp_path, [source], targets, writers_per_target=1, max_writers=4, bandwidth_limit_mb=10.0)
    seen_per_target: list[int] = []   # partial files in one target, and writers the status file shows
    seen_total: list[int] = []
    process = subprocess.Popen([*TEAFARM, "copy", "--config", str(config), "--once"],
                               stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    try:
        while process.poll() is None:
            counts = [len(leftovers([t])) for t in targets]
            seen_per_target.append(max(counts))
            seen_total.append(sum(counts))
            seen_per_target.extend(t["writers"] for t in status_of(tmp_path)["targets"])
            time.sleep(0.01)
    finally:
        _, stderr = process.communicate(timeout=60)
    assert process.returncode == 0, stderr
    assert max(seen_per_target) == 1, "more than one copy wrote into one target at once"
    assert max(seen_total) == 2, "the two targets should have been written in parallel"
    assert len(plots_in(targets)) == 6 and list(source.iterdir()) == []


def test_plots_that_fit_nowhere_stay_at_the_source(tmp_path, tmpfs):
    source, small = tmp_path / "plotter", tmpfs("small", 2)
    expected = make_plot(source, "plot-k32-big.plot", 3 * MB)
    done = run_copy(write_config(tmp_path, [source], [small]))
    assert done.returncode == 1
    assert "no target has room" in done.stderr and "1 plot(s) left" in done.stderr
    assert digest(source / "plot-k32-big.plot") == expected and list(small.iterdir()) == []
    status = status_of(tmp_path)
    assert [t["state"] for t in status["targets"]] == ["full"]
    assert [j["state"] for j in status["jobs"]] == ["queued"]
