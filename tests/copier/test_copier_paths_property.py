"""Copier path properties: on random layouts of sources and targets (plain folders, symlinks, globs,
folders nested in each other, two filesystems, copiers sharing a target, files of a plot's name
already at a target, a symlink that appears after the start check), no plot is ever lost: every plot
still exists somewhere with its bytes, nothing already at a target is changed, no partial file is
left behind, and a layout where a source and a target overlap is refused at start.

The copier runs in-process (the same Copier the CLI runs) on small files, so many layouts fit in a
few seconds; the layout's overlap is judged from how the test built it, not with the copier's code.
"""
from __future__ import annotations

import itertools
import os
import shutil
import threading
from dataclasses import dataclass
from pathlib import Path

import pytest
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from copier.copier import Copier
from copier.layout import check_layout
from copier.progress import Progress
from copier.settings import CopierSettings
from teafarm.typed_config import ConfigError

DISKS = ("a", "b")                 # a: the test's own filesystem, b: a tmpfs
NAMES = ("p0", "h0", "p1", "h1")
GLOB_PREFIXES = ("", "h", "p")


@dataclass(frozen=True)
class Folder:
    disk: str
    parent: int | None             # index of the folder it is nested in


@dataclass(frozen=True)
class Layout:
    folders: tuple[Folder, ...]
    sources: tuple[tuple, ...]     # ("path", i) | ("link", i) | ("glob", disk, prefix)
    targets: tuple[tuple, ...]
    plots: tuple[tuple[int, int], ...]         # (folder index, size)
    already: tuple[tuple[int, int, bool], ...]  # (plot index, folder index, same bytes?) placed before the run
    late_link: bool                # after the start check, a symlink to a source appears beside the disks' folders
    shared: bool                   # two copiers, the sources split between them, the targets shared


@st.composite
def layouts(draw) -> Layout:
    count = draw(st.integers(2, 4))
    folders: list[Folder] = []
    for i in range(count):
        parent = draw(st.none() | st.integers(0, i - 1)) if i else None
        disk = folders[parent].disk if parent is not None else draw(st.sampled_from(DISKS))
        folders.append(Folder(disk, parent))

    def ref(kind: str):
        """Mostly a folder of its kind (p: plotter output, h: farm disk); now and then any (an overlap)."""
        own = [i for i in range(count) if NAMES[i].startswith(kind)] or list(range(count))
        folder = st.sampled_from(own) if draw(st.integers(0, 5)) else st.integers(0, count - 1)
        prefix = st.just(kind) if draw(st.integers(0, 5)) else st.sampled_from(GLOB_PREFIXES)
        return st.one_of(st.tuples(st.sampled_from(("path", "link")), folder),
                         st.tuples(st.just("glob"), st.sampled_from(DISKS), prefix))
    shared = draw(st.booleans())
    sources = [draw(ref("p")) for _ in range(2 if shared else draw(st.integers(1, 2)))]
    targets = [draw(ref("h")) for _ in range(draw(st.integers(1, 3)))]
    named = {r[1] for r in sources if r[0] != "glob"} | {
        i for r in sources if r[0] == "glob" for i in range(count)
        if folders[i].parent is None and folders[i].disk == r[1] and NAMES[i].startswith(r[2])}
    where = st.sampled_from(sorted(named)) if named and draw(st.integers(0, 4)) else st.integers(0, count - 1)
    plots = draw(st.lists(st.tuples(where, st.integers(1, 60_000)), min_size=1, max_size=4))
    already = draw(st.lists(st.tuples(st.integers(0, len(plots) - 1), st.integers(0, count - 1), st.booleans()),
                            max_size=2))
    return Layout(tuple(folders), tuple(sources), tuple(targets), tuple(plots),
                  tuple((p, f, same) for p, f, same in already if f != plots[p][0]),
                  draw(st.booleans()), shared)


class Built:
    """A layout made real under two fresh roots (one per disk)."""

    def __init__(self, layout: Layout, roots: dict[str, Path]) -> None:
        self.layout = layout
        self.roots = roots
        self.links = roots["a"].parent / (roots["a"].name + "-links")   # outside every glob
        self.links.mkdir()
        self.paths: list[Path] = []
        for i, folder in enumerate(layout.folders):
            parent = roots[folder.disk] if folder.parent is None else self.paths[folder.parent]
            path = parent / NAMES[i]
            path.mkdir()
            self.paths.append(path)
        self.expected: dict[Path, bytes] = {}      # every file that must stay as it is, or move intact
        self.plots: list[tuple[str, bytes, int]] = []
        for n, (i, size) in enumerate(layout.plots):
            name, data = f"plot-k32-{n}.plot", os.urandom(size)
            (self.paths[i] / name).write_bytes(data)
            self.plots.append((name, data, i))
        self.already: dict[Path, bytes] = {}
        for plot, i, same in layout.already:
            name, data, _ = self.plots[plot]
            if not same:
                data = data[:-1] + bytes([data[-1] ^ 1])
            if not (self.paths[i] / name).exists():
                (self.paths[i] / name).write_bytes(data)
                self.already[self.paths[i] / name] = data

    def pattern(self, ref: tuple) -> str:
        if ref[0] == "path":
            return str(self.paths[ref[1]])
        if ref[0] == "link":
            link = self.links / f"link-{ref[1]}"
            if not link.exists():
                link.symlink_to(self.paths[ref[1]])
            return str(link)
        return str(self.roots[ref[1]] / f"{ref[2]}*")

    def named(self, ref: tuple) -> set[int]:
        """The folders a reference names, from how the layout was built."""
        if ref[0] in ("path", "link"):
            return {ref[1]}
        return {i for i, f in enumerate(self.layout.folders)
                if f.parent is None and f.disk == ref[1] and NAMES[i].startswith(ref[2])}

    def ancestors(self, i: int) -> set[int]:
        found = set()
        while self.layout.folders[i].parent is not None:
            i = self.layout.folders[i].parent
            found.add(i)
        return found

    def overlaps(self, sources: tuple, targets: tuple) -> bool:
        source_folders = set().union(*(self.named(r) for r in sources))
        target_folders = set().union(*(self.named(r) for r in targets))
        return any(s == t or s in self.ancestors(t) or t in self.ancestors(s)
                   for s in source_folders for t in target_folders)

    def files(self) -> dict[Path, bytes]:
        """Every regular file in the layout's real folders (symlinks not followed)."""
        return {path: path.read_bytes() for folder in self.paths for path in folder.iterdir()
                if path.is_file() and not path.is_symlink()}


def run_copiers(built: Built, parts: list[tuple[tuple, tuple]], state: Path) -> None:
    copiers = []
    for n, (sources, targets) in enumerate(parts):
        config = CopierSettings(sources=[built.pattern(r) for r in sources],
                                targets=[built.pattern(r) for r in targets],
                                stable_seconds=0.0, scan_interval=0.05, status_interval=0.05)
        check_layout(config, once=True)
        copiers.append(Copier(config, state / f"status-{n}.json", threading.Event(), Progress(None, 1e9)))
    if built.layout.late_link:   # appears after the start check: a target glob may now match a source
        source = next(iter(built.named(parts[0][0][0])), None)
        if source is not None:
            (built.roots[built.layout.folders[source].disk] / "h9-late").symlink_to(built.paths[source])
    errors: list[BaseException] = []

    def run(copier: Copier) -> None:
        try:
            copier.run(once=True)
        except BaseException as exc:   # reported below: a thread's exception would only be printed
            errors.append(exc)

    threads = [threading.Thread(target=run, args=(c,)) for c in copiers]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
        assert not thread.is_alive(), "a copier did not finish"
    assert not errors, f"a copier crashed: {errors[0]!r}"


_runs = itertools.count()   # each example gets fresh folders on both disks


@pytest.fixture
def disks(tmp_path, tmpfs):
    return {"a": tmp_path / "disk-a", "b": tmpfs("disk-b", 64)}


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(layout=layouts())
def test_no_plot_is_ever_lost(disks, layout):
    run = next(_runs)
    roots = {disk: disks[disk] / f"run-{run}" for disk in DISKS}
    for root in roots.values():
        root.mkdir(parents=True)
    try:
        check_layout_and_run(Built(layout, roots), disks["a"] / f"state-{run}")
    finally:
        for root in roots.values():
            shutil.rmtree(root, ignore_errors=True)
        shutil.rmtree(roots["a"].parent / (roots["a"].name + "-links"), ignore_errors=True)


def check_layout_and_run(built: Built, state: Path) -> None:
    layout = built.layout
    parts = [(layout.sources, layout.targets)]
    if layout.shared and len(layout.sources) > 1:
        parts = [(layout.sources[:1], layout.targets), (layout.sources[1:], layout.targets)]
    before = built.files()
    expected = "ran"
    for sources, targets in parts:   # each copier checks its own at start
        if built.overlaps(sources, targets):
            expected = "overlap"
        elif any(not built.named(r) for r in sources):
            expected = "a source names no folder"   # with --once, nothing to wait for
        if expected != "ran":
            break
    try:
        run_copiers(built, parts, state)
        outcome = "ran"
    except ConfigError as exc:
        assert "\n" not in str(exc)
        outcome = "overlap" if "a source folder is never a target" in str(exc) else "a source names no folder"
    refused = outcome != "ran"
    event(outcome)
    assert outcome == expected, f"expected: {expected}; the copier: {outcome}"

    after = built.files()
    for path, data in before.items():   # every plot (and every other copy) still somewhere, whole
        assert any(p.name == path.name and content == data for p, content in after.items()), f"{path} lost"
    sources = set().union(*(built.named(r) for r in layout.sources))
    for path, data in built.already.items():   # a target's own files are never touched
        if built.paths.index(path.parent) not in sources:
            assert after.get(path) == data, f"{path} (there before the run) was changed or removed"
    assert not [p for p in after if ".teafarm-partial" in p.name], "partial or owner files left behind"
    if refused:
        assert after == before, "a refused layout was touched"
    else:
        event("something moved" if after != before else "nothing moved")
        event(f"ran: {len(parts)} copier(s), late link {layout.late_link}, "
              f"{'a file of a plot name at a target' if built.already else 'no file in the way'}")
