"""Is the copy still landing on the disk it started on? Asked between chunks while copying.

A disk unmounted under a copy (`umount -l`, a USB disk unplugged, an NFS share dropped) keeps taking
writes into a file nobody can reach, until the plot ends and the source would be deleted. So, at most
once a second: the filesystem we write to must still be in the mount table (Linux: the st_dev of our
open file among the devices of /proc/self/mountinfo), the target folder must still lead to it, and the
partial file's name must still lead to our file (another program may delete it: that is not the disk's
fault, and the disk is not retired for it).
"""
from __future__ import annotations

import os
import time
from pathlib import Path

from copier.errors import PartialVanished, TargetFault
from copier.overlap import same_file

INTERVAL = 1.0   # seconds between checks; an unmounted disk is noticed well within 5 s
MOUNTINFO = Path("/proc/self/mountinfo")


def mounted_devices() -> set[int] | None:
    """st_dev of every mounted filesystem; None where the platform has no mount table to read."""
    try:
        text = MOUNTINFO.read_text(encoding="utf-8", errors="replace")
    except OSError:
        return None
    devices = set()
    for line in text.splitlines():
        fields = line.split()
        if len(fields) > 2 and ":" in fields[2]:
            major, minor = fields[2].split(":", 1)
            devices.add(os.makedev(int(major), int(minor)))
    return devices


class CopyWatch:
    def __init__(self, fd: int, folder: Path, partial: Path) -> None:
        self.folder = folder
        self.partial = partial
        self.written = os.fstat(fd)
        devices = mounted_devices()
        # btrfs subvolumes and the like report a device of their own that the table does not list:
        # then only the path checks apply
        self.in_table = devices is not None and self.written.st_dev in devices
        self._next = time.monotonic() + INTERVAL

    def due(self) -> None:
        """Check, unless the last check was less than INTERVAL ago."""
        if time.monotonic() >= self._next:
            self.check()

    def check(self) -> os.stat_result:
        """Raise TargetFault (disk or folder gone) or PartialVanished; returns the partial's stat."""
        self._next = time.monotonic() + INTERVAL
        device = self.written.st_dev
        if self.in_table and device not in (mounted_devices() or {device}):
            raise TargetFault(f"{self.folder}: its disk was unmounted during the copy")
        try:
            folder = os.stat(self.folder)
        except FileNotFoundError:
            raise TargetFault(f"{self.folder}: the folder was removed during the copy "
                              f"(or its disk unmounted)") from None
        except OSError as exc:
            raise TargetFault(f"{self.folder}: cannot reach the folder ({exc.strerror}); disk unmounted?") from None
        if folder.st_dev != device:
            raise TargetFault(f"{self.folder}: now on another filesystem; disk unmounted or replaced?")
        try:
            seen = os.stat(self.partial)
        except FileNotFoundError:
            raise PartialVanished(f"{self.partial}: the partial copy vanished during the copy "
                                  f"(removed by another program or copier?); the disk is fine") from None
        except OSError as exc:
            raise TargetFault(f"{self.partial}: cannot reach the copy ({exc.strerror}); disk unmounted?") from None
        if not same_file(seen, self.written):
            raise PartialVanished(f"{self.partial}: the partial copy was replaced by another file during the copy")
        return seen
