"""The target folders: which exist, which have room, which failed, and which one gets the next plot.
A folder that overlaps a source (overlap.py) is never a target, however it came to match."""
from __future__ import annotations

import logging
import os
import shutil
import time
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from copier.overlap import folder_overlap
from copier.partials import PartialSweeper
from copier.plots import expand_folders
from copier.status import TargetStatus
from teafarm import units

log = logging.getLogger(__name__)

SWEEP_INTERVAL = 3600.0   # seconds between looks for abandoned partial files in a target


@dataclass
class Target:
    folder: Path
    state: str = "available"   # available, full (ran out mid-copy), retired (failed), excluded (marker)
    device: int | None = None  # the filesystem it was first seen on ...
    mount: str = ""            # ... mounted here; a change means its disk was unmounted or replaced
    free: int = 0              # free bytes at the last probe
    reserved: int = 0          # bytes copies in flight will still write here
    writers: int = 0
    error: str = ""
    retry_at: float = 0.0      # full or retired: probe again at this time
    configured: bool = True    # still named by the config patterns
    swept: float = 0.0         # when abandoned partial files were last looked for (0: not yet)
    probed: float = 0.0        # monotonic time of the last probe (when `free` was read)

    @property
    def room(self) -> int:
        return self.free - self.reserved


class TargetPool:
    def __init__(self, patterns: list[str], marker: str, probe_seconds: float) -> None:
        self.patterns = patterns
        self.marker = marker
        self.probe_seconds = probe_seconds
        self.targets: dict[Path, Target] = {}
        self.skipped: dict[Path, str] = {}   # folders the patterns name that overlap a source: why
        self.sweeper = PartialSweeper()
        self._writing: set[Path] = set()     # partial files of ours in flight (the sweep leaves them)

    def refresh(self, now: float, sources: Iterable[Path] = (), writing: Iterable[Path] = ()) -> None:
        """Re-read the patterns (disks come and go) and probe every target that is due. `sources`:
        the source folders now (never targets); `writing`: partial files of ours being written."""
        self._writing = set(writing)
        named = self._not_sources(expand_folders(self.patterns, keep_missing=True), list(sources))
        for folder in named:
            if folder not in self.targets:
                self.targets[folder] = Target(folder)
                log.info("target %s: new", folder)
        for folder, target in list(self.targets.items()):
            target.configured = folder in named
            if not target.configured:
                if target.writers == 0:
                    log.info("target %s: no longer matched by copy.targets; dropped", folder)
                    del self.targets[folder]
                continue
            if target.state in ("full", "retired") and now < target.retry_at:
                continue
            self._probe(target, now)

    def _not_sources(self, named: list[Path], sources: list[Path]) -> list[Path]:
        """The named folders that overlap no source; each newly overlapping one is logged once."""
        kept = []
        for folder in named:
            problem = next((p for p in (folder_overlap(s, folder) for s in sources) if p), None)
            if problem is None:
                self.skipped.pop(folder, None)
                kept.append(folder)
            elif self.skipped.get(folder) != problem:
                self.skipped[folder] = problem
                log.warning("target %s: skipped, %s (a source folder is never a target)", folder, problem)
        return kept

    def choose(self, plot_name: str, size: int, source_folder: Path, per_target: int, avoid: set[Path]) -> Target | None:
        """The least busy target with room for `size` more bytes, then the one with most room."""
        fitting = [t for t in self.targets.values()
                   if t.state == "available" and t.configured and t.writers < per_target and t.room >= size
                   and t.folder not in avoid and folder_overlap(source_folder, t.folder) is None
                   and not os.path.lexists(t.folder / plot_name)]
        return min(fitting, key=lambda t: (t.writers, -t.room), default=None)

    def holding(self, plot_name: str) -> list[Target]:
        """Targets that already have a file with this name (a copy finished before a crash, say)."""
        return [t for t in self.targets.values() if t.state != "excluded" and os.path.lexists(t.folder / plot_name)]

    def mark_full(self, target: Target, reason: str, now: float) -> None:
        target.state, target.error, target.retry_at = "full", reason, now + self.probe_seconds
        log.warning("target %s: full (%s); trying other targets, probing it again in %.0f s", target.folder, reason, self.probe_seconds)

    def retire(self, target: Target, reason: str, now: float) -> None:
        if target.state != "retired" or target.error != reason:
            log.warning("target %s: retired (%s); probing it again in %.0f s", target.folder, reason, self.probe_seconds)
        target.state, target.error, target.retry_at = "retired", reason, now + self.probe_seconds

    def statuses(self, needed: int) -> list[TargetStatus]:
        """Targets as the status file shows them; an available target without room for `needed` bytes is full."""
        out = []
        for t in sorted(self.targets.values(), key=lambda t: str(t.folder)):
            state = "full" if t.state == "available" and needed and t.room < needed else t.state
            out.append(TargetStatus(str(t.folder), state, max(t.free, 0), t.reserved, t.writers, t.error))
        return out

    def _probe(self, target: Target, now: float) -> None:
        folder = target.folder
        try:
            if not folder.is_dir():
                if folder.exists():
                    return self.retire(target, "not a folder", now)
                if not folder.parent.is_dir():
                    return self.retire(target, f"folder missing, and so is its parent {folder.parent}", now)
                folder.mkdir()
                log.info("target %s: created the folder", folder)
            if (folder / self.marker).exists():
                if target.state != "excluded":
                    log.info("target %s: excluded (marker file %s)", folder, self.marker)
                target.state, target.error = "excluded", f"marker file {self.marker}"
                return
            device, mount = os.stat(folder).st_dev, mount_point(folder)
            if target.device is not None and device != target.device:
                if mount != target.mount:   # never fill the disk under an empty mount point
                    return self.retire(target, f"now on another filesystem ({mount}): is the disk at "
                                               f"{target.mount} unmounted?", now)
                log.info("target %s: a different disk is mounted at %s now", folder, mount)
            target.device, target.mount = device, mount
            if not os.access(folder, os.W_OK):
                return self.retire(target, "not writable", now)
            target.free = shutil.disk_usage(folder).free
            target.probed = time.monotonic()
        except OSError as exc:
            return self.retire(target, exc.strerror or str(exc), now)
        if target.state != "available":
            log.info("target %s: available again (%s free)", folder, units.size(target.free))
        target.state, target.error = "available", ""
        if now - target.swept >= SWEEP_INTERVAL:   # at the first probe, then now and then
            self.sweeper.sweep(folder, self._writing)
            target.swept = now


def mount_point(folder: Path) -> str:
    """The mount point of the filesystem holding `folder`."""
    path = os.path.abspath(folder)
    while not os.path.ismount(path):
        parent = os.path.dirname(path)
        if parent == path:
            break
        path = parent
    return path
