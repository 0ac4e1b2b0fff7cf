"""A source folder is never a target: overlapping sources and targets are refused at start (one line,
exit 2), a target that comes to overlap a source while the copier runs is skipped, and a file is never
compared with itself. Before, `--source X --target X` found the plot "already complete" at X and
deleted it."""
from __future__ import annotations

import os
import subprocess
import threading
from pathlib import Path

import pytest

from copier.errors import SameFile
from copier.mover import settle_duplicate
from tests.helpers.backbone import TEAFARM
from tests.helpers.copier import digest, make_plot, write_config
from tests.helpers.tmpfs import mounted, unmount
from tests.helpers.waiting import wait_until

PLOT = "plot-k32-overlap.plot"


def copy_once(tmp_path: Path, sources: list[str], targets: list[str]) -> subprocess.CompletedProcess:
    config = write_config(tmp_path, [tmp_path / "unused"], [tmp_path / "unused-target"])
    args = [arg for s in sources for arg in ("--source", s)] + [arg for t in targets for arg in ("--target", t)]
    return subprocess.run([*TEAFARM, "copy", "--config", str(config), "--once", *args],
                          capture_output=True, text=True, timeout=30)


def layouts(root: Path) -> dict[str, tuple[list[str], list[str], Path]]:
    """Overlapping layouts: (sources, targets, the plot's folder)."""
    ssd = root / "mnt" / "ssd" / "plots"
    (root / "mnt" / "hdd1" / "plots").mkdir(parents=True)
    ssd.mkdir(parents=True)
    (root / "link-to-ssd").symlink_to(ssd)
    (ssd / "farm").mkdir()
    return {
        "same folder": ([str(ssd)], [str(ssd)], ssd),
        "symlink to the source": ([str(ssd)], [str(root / "link-to-ssd")], ssd),
        "source through a symlink": ([str(root / "link-to-ssd")], [str(ssd)], ssd),
        "target glob matches the source": ([str(ssd)], [str(root / "mnt" / "*" / "plots")], ssd),
        "target inside the source": ([str(ssd)], [str(ssd / "farm")], ssd),
        "source inside the target": ([str(ssd / "farm")], [str(ssd)], ssd / "farm"),
        "source glob matches the target": ([str(root / "mnt" / "*" / "plots")], [str(ssd / "farm")], ssd),
    }


@pytest.mark.parametrize("layout", ["same folder", "symlink to the source", "source through a symlink",
                                    "target glob matches the source", "target inside the source",
                                    "source inside the target", "source glob matches the target"])
def test_overlap_is_refused_at_start_with_one_line(tmp_path, layout):
    sources, targets, folder = layouts(tmp_path)[layout]
    expected = make_plot(folder, PLOT, 300_000)

    done = copy_once(tmp_path, sources, targets)

    assert done.returncode == 2, done.stderr
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("teafarm: error: copy: "), done.stderr
    assert "a source folder is never a target" in lines[0]
    assert sources[0] in lines[0] and targets[0] in lines[0], "the line names both paths as configured"
    assert digest(folder / PLOT) == expected


def test_a_bind_mount_of_the_source_is_the_same_folder(tmp_path):
    source, target = tmp_path / "plotter", tmp_path / "farm"
    expected = make_plot(source, PLOT, 300_000)
    target.mkdir()
    if subprocess.run(["mount", "--bind", str(source), str(target)], capture_output=True).returncode:
        pytest.skip("cannot bind-mount here (needs root)")
    try:
        done = copy_once(tmp_path, [str(source)], [str(target)])
        assert done.returncode == 2 and "are the same folder" in done.stderr, done.stderr
        assert digest(source / PLOT) == expected

        # the mover, asked anyway, never compares the plot with itself nor deletes it
        with pytest.raises(SameFile):
            settle_duplicate(source / PLOT, target, stop=threading.Event())
        assert digest(source / PLOT) == expected
    finally:
        while mounted(target):
            unmount(target, check=True)


def test_a_hard_link_at_the_target_is_not_a_copy(tmp_path):
    source, target = tmp_path / "plotter", tmp_path / "farm"
    expected = make_plot(source, PLOT, 300_000)
    target.mkdir()
    os.link(source / PLOT, target / PLOT)
    with pytest.raises(SameFile, match="the source file itself"):
        settle_duplicate(source / PLOT, target, stop=threading.Event())
    assert digest(source / PLOT) == expected


def test_a_target_that_comes_to_match_a_source_is_skipped(tmp_path, start_copier):
    """The glob `disks/*` is fine at start; then someone links the plotter's folder into `disks/`.
    The plot waiting for a target must not be "found complete" there and deleted."""
    source, disks = tmp_path / "plotter", tmp_path / "disks"
    (disks / "hdd1").mkdir(parents=True)
    (disks / "hdd1" / ".teafarm-no-copy").write_text("")   # no room anywhere yet: the plot waits
    expected = make_plot(source, PLOT, 300_000)
    copier = start_copier(write_config(tmp_path, [source], [str(disks / "*")]))
    wait_until(lambda: "no target has room" in copier.log, 45, "the plot to wait for a target")

    (disks / "plotter-link").symlink_to(source)
    wait_until(lambda: "plotter-link: skipped" in copier.log, 45, "the overlapping target to be skipped")
    assert "are the same folder" in copier.log
    assert digest(source / PLOT) == expected, "the plot was taken for its own copy"

    (disks / "hdd1" / ".teafarm-no-copy").unlink()
    wait_until(lambda: (disks / "hdd1" / PLOT).exists() and not (source / PLOT).exists(), 45,
               "the plot to reach hdd1")
    assert digest(disks / "hdd1" / PLOT) == expected
    assert copier.log.count("plotter-link: skipped") == 1, "one log line, not one per scan"
    assert copier.running()
