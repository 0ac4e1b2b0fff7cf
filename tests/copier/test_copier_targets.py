"""Picking a target: only those with room, then the least busy, then the most room."""
from __future__ import annotations

import time

from copier.targets import TargetPool

MB = 1_000_000


def test_room_first_then_least_busy_then_most_room(tmp_path, tmpfs):
    big, small = tmpfs("big", 20), tmpfs("small", 10)
    pool = TargetPool([str(big), str(small)], ".teafarm-no-copy", 60.0)
    pool.refresh(time.time())
    source = tmp_path / "plotter"
    a, b = pool.targets[big], pool.targets[small]

    assert pool.choose("p.plot", 5 * MB, source, 2, set()) is a            # most room
    a.writers = 1
    assert pool.choose("p.plot", 5 * MB, source, 2, set()) is b            # least busy before most room
    assert pool.choose("p.plot", 15 * MB, source, 2, set()) is a           # but only where it fits
    a.reserved = a.free - 4 * MB                                           # copies in flight will fill it
    assert pool.choose("p.plot", 15 * MB, source, 2, set()) is None
    a.writers, a.reserved = 0, 0
    assert pool.choose("p.plot", 5 * MB, source, 1, {big}) is b            # avoided (holds another file of that name)
    (small / "p.plot").write_bytes(b"x")
    assert pool.choose("p.plot", 5 * MB, source, 1, {big}) is None         # never onto an existing name


def test_marker_excludes_and_missing_folder_is_created_only_under_an_existing_parent(tmp_path):
    (tmp_path / "hdd0").mkdir()
    (tmp_path / "hdd0" / ".teafarm-no-copy").write_text("")
    pool = TargetPool([str(tmp_path / "hdd0"), str(tmp_path / "hdd1"), str(tmp_path / "gone" / "plots")],
                      ".teafarm-no-copy", 60.0)
    pool.refresh(time.time())
    states = {t.folder: (t.state, t.error) for t in pool.targets.values()}
    assert states[tmp_path / "hdd0"][0] == "excluded"
    assert states[tmp_path / "hdd1"] == ("available", "") and (tmp_path / "hdd1").is_dir()
    assert states[tmp_path / "gone" / "plots"][0] == "retired" and not (tmp_path / "gone").exists()


def test_a_disk_gone_from_the_glob_is_dropped_once_nothing_writes_to_it(tmp_path):
    for name in ("hdd1", "hdd2"):
        (tmp_path / name).mkdir()
    pool = TargetPool([str(tmp_path / "hdd*")], ".teafarm-no-copy", 60.0)
    pool.refresh(time.time())
    pool.targets[tmp_path / "hdd2"].writers = 1
    for name in ("hdd1", "hdd2"):
        (tmp_path / name).rmdir()
    pool.refresh(time.time())
    assert list(pool.targets) == [tmp_path / "hdd2"] and not pool.targets[tmp_path / "hdd2"].configured
    assert pool.choose("p.plot", 1, tmp_path / "plotter", 5, set()) is None
    pool.targets[tmp_path / "hdd2"].writers = 0
    pool.refresh(time.time())
    assert pool.targets == {}
