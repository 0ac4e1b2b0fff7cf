"""Which files are finished plots."""
from __future__ import annotations

import os
import time

from copier.plots import expand_folders, find_plots, finished_plots


def test_only_plot_files_with_bytes_are_plots(tmp_path):
    for name in ("a.plot", "b.plot2", "c.plot.tmp", "d.plot2.tmp", "e.plot.teafarm-partial", "notes.txt"):
        (tmp_path / name).write_bytes(b"x")
    (tmp_path / "empty.plot").write_bytes(b"")
    (tmp_path / "dir.plot").mkdir()
    assert sorted(p.path.name for p in find_plots([tmp_path])) == ["a.plot", "b.plot2"]


def test_recently_modified_plots_wait_and_a_clock_ahead_is_not_trusted(tmp_path):
    now = time.time()
    for name, age in (("old.plot", 600), ("fresh.plot", 5), ("future.plot", -3600)):
        (tmp_path / name).write_bytes(b"x")
        os.utime(tmp_path / name, (now - age, now - age))
    memory: dict = {}
    finished, busy = finished_plots(find_plots([tmp_path]), now, 60.0, memory)
    assert [p.path.name for p in finished] == ["old.plot"]
    assert sorted(p.path.name for p in busy) == ["fresh.plot", "future.plot"]
    finished, _ = finished_plots(find_plots([tmp_path]), now + 61, 60.0, memory)
    assert sorted(p.path.name for p in finished) == ["fresh.plot", "future.plot", "old.plot"]


def test_glob_sources_give_existing_folders_and_plain_targets_may_be_missing(tmp_path):
    (tmp_path / "hdd1").mkdir()
    (tmp_path / "hdd2").mkdir()
    (tmp_path / "hdd3.txt").write_text("")
    assert expand_folders([str(tmp_path / "hdd*")], keep_missing=False) == [tmp_path / "hdd1", tmp_path / "hdd2"]
    assert expand_folders([str(tmp_path / "new")], keep_missing=True) == [tmp_path / "new"]
    assert expand_folders([str(tmp_path / "new")], keep_missing=False) == []
