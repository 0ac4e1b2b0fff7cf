"""Partial copies and whose they are.

Several copiers may share a target (plotters filling one harvester's disks over NFS), so a partial
file is not necessarily a crash leftover: beside `<plot>.teafarm-partial` each copier writes an owner
file `<plot>.teafarm-partial.owner` naming its host, boot id and pid. A copier removes a partial only
when the owner is on its own host and either booted since (another boot id) or its process is gone;
another host's partial (or one without an owner file, from an older teafarm) is never removed, only
reported once it is a day old.
"""
from __future__ import annotations

import json
import logging
import os
import socket
import time
from dataclasses import dataclass
from pathlib import Path

log = logging.getLogger("copier")

PARTIAL_SUFFIX = ".teafarm-partial"
OWNER_SUFFIX = PARTIAL_SUFFIX + ".owner"
REPORT_AFTER = 24 * 3600.0   # another copier's partial untouched this long is worth a line


@dataclass(frozen=True)
class Owner:
    host: str
    boot_id: str
    pid: int

    def describe(self) -> str:
        return f"host {self.host}, pid {self.pid}"


def partial_path(folder: Path, plot_name: str) -> Path:
    return folder / (plot_name + PARTIAL_SUFFIX)


def owner_path(partial: Path) -> Path:
    return partial.with_name(partial.name[:-len(PARTIAL_SUFFIX)] + OWNER_SUFFIX)


def this_owner() -> Owner:
    return Owner(socket.gethostname(), boot_id(), os.getpid())


def boot_id() -> str:
    """Changes with every boot: Linux says so; elsewhere the boot time stands in for it."""
    try:
        return Path("/proc/sys/kernel/random/boot_id").read_text().strip()
    except OSError:
        pass
    try:
        import psutil   # a dependency of teafarm; only needed off Linux
        return f"boot-{int(psutil.boot_time())}"
    except Exception:   # no psutil, or it cannot tell: a pid check alone decides then
        return ""


def claim(partial: Path, owner: Owner) -> None:
    """Write the owner file of a partial about to be created; raises FileExistsError when another
    copier writes this plot here (or left it)."""
    fd = os.open(owner_path(partial), os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o644)
    with os.fdopen(fd, "w", encoding="utf-8") as out:
        json.dump({"host": owner.host, "boot_id": owner.boot_id, "pid": owner.pid}, out)


def release(partial: Path) -> None:
    """Forget the owner file (the partial itself is renamed or removed first)."""
    try:
        os.unlink(owner_path(partial))
    except OSError:
        pass


def read_owner(partial: Path) -> Owner | None:
    try:
        data = json.loads(owner_path(partial).read_text(encoding="utf-8"))
        return Owner(str(data["host"]), str(data["boot_id"]), int(data["pid"]))
    except (OSError, ValueError, KeyError, TypeError):
        return None


def abandoned(owner: Owner, me: Owner) -> bool:
    """Whether the copier that wrote this partial is certainly gone: same host, and another boot or
    no such process (our own pid: a previous copier that had it, as we write none yet)."""
    if owner.host != me.host:
        return False
    if owner.boot_id and me.boot_id and owner.boot_id != me.boot_id:
        return True
    return owner.pid == me.pid or not _alive(owner.pid)


def _alive(pid: int) -> bool:
    if pid <= 0:
        return False
    if os.name == "nt":   # there os.kill(pid, 0) would terminate the process: ask psutil, or assume alive
        try:
            import psutil
            return psutil.pid_exists(pid)
        except Exception:
            return True
    try:
        os.kill(pid, 0)   # signal 0: only asks whether the process exists
    except ProcessLookupError:
        return False
    except OSError:       # EPERM: someone else's process, alive
        return True
    return True


class PartialSweeper:
    """Removes abandoned partials of this host in a target and reports old foreign ones (once each)."""

    def __init__(self, me: Owner | None = None) -> None:
        self.me = me or this_owner()
        self.reported: set[Path] = set()

    def sweep(self, folder: Path, writing: set[Path] = frozenset()) -> None:
        """`writing`: partials this copier is writing right now (never touched)."""
        try:
            names = {entry.name for entry in os.scandir(folder) if entry.is_file(follow_symlinks=False)}
        except OSError:
            return
        for name in sorted(names):
            if name.endswith(PARTIAL_SUFFIX):
                partial = folder / name
            elif name.endswith(OWNER_SUFFIX):   # an owner file whose partial is gone
                partial = folder / (name[:-len(OWNER_SUFFIX)] + PARTIAL_SUFFIX)
                if partial.name in names:
                    continue
            else:
                continue
            if partial not in writing:
                self._settle(folder, partial, read_owner(partial), partial.name in names)

    def _settle(self, folder: Path, partial: Path, owner: Owner | None, exists: bool) -> None:
        if owner is not None and abandoned(owner, self.me):
            try:
                if exists:
                    os.unlink(partial)
                    log.info("target %s: removed stale partial copy %s (its copier, %s, is gone)",
                             folder, partial.name, owner.describe())
                release(partial)
            except OSError as exc:
                log.warning("target %s: cannot remove stale partial copy %s (%s)", folder, partial.name, exc.strerror)
            return
        if not exists or partial in self.reported:
            return
        try:
            age = time.time() - os.stat(partial).st_mtime
        except OSError:
            return
        if age >= REPORT_AFTER:
            self.reported.add(partial)
            whose = owner.describe() if owner else "no owner file: an older teafarm"
            log.warning("target %s: partial copy %s (%s) untouched for %.1f days; left alone: remove it "
                        "if that copier is gone", folder, partial.name, whose, age / 86400)
