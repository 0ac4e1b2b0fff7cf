"""Reserve a plot's space on the target before copying, so a full disk is found at the start rather
than after 90 GiB.

Linux: fallocate(2) with FALLOC_FL_KEEP_SIZE (through ctypes; Python has no binding) allocates the
blocks without changing the file's size, so the size still tells how much was copied. Where that is
not supported (ZFS, some NFS and FUSE, macOS, Windows) the free space is checked with statvfs
instead. Never os.posix_fallocate: where the filesystem cannot allocate, glibc emulates it by writing
zeros, 100 GiB of them.
"""
from __future__ import annotations

import ctypes
import errno
import os
import shutil
import sys
from pathlib import Path

from copier.errors import TargetFault, TargetFull

FALLOC_FL_KEEP_SIZE = 1
NOT_SUPPORTED = {errno.EOPNOTSUPP, errno.ENOTSUP, errno.ENOSYS, errno.EINVAL, errno.ENODEV}


def reserve(fd: int, size: int, folder: Path) -> bool:
    """Make sure `size` bytes fit into the file open at `fd` in `folder`; True when they are reserved
    (allocated), False when only the free space was checked. Raises TargetFull when they do not fit."""
    try:
        fallocate_keep_size(fd, size)
        return True
    except OSError as exc:
        if exc.errno in (errno.ENOSPC, errno.EDQUOT):
            raise TargetFull(f"{folder}: not enough space for {size} bytes ({exc.strerror})") from None
        if exc.errno not in NOT_SUPPORTED:
            raise TargetFault(f"{folder}: cannot reserve space ({exc.strerror})") from None
    try:
        free = shutil.disk_usage(folder).free
    except OSError as exc:
        raise TargetFault(f"{folder}: cannot read the free space ({exc.strerror})") from None
    if free < size:
        raise TargetFull(f"{folder}: not enough space for {size} bytes ({free} free)")
    return False


def fallocate_keep_size(fd: int, size: int) -> None:
    """fallocate(fd, FALLOC_FL_KEEP_SIZE, 0, size); OSError(ENOTSUP) where there is no such call."""
    function = _libc_fallocate()
    if function is None:
        raise OSError(errno.ENOTSUP, "fallocate is not available here")
    if function(fd, FALLOC_FL_KEEP_SIZE, ctypes.c_int64(0), ctypes.c_int64(size)) != 0:
        code = ctypes.get_errno()
        raise OSError(code, os.strerror(code))


def _libc_fallocate():
    if not sys.platform.startswith("linux"):
        return None
    try:
        libc = ctypes.CDLL(None, use_errno=True)   # the process's own symbols, libc's among them
        function = libc.fallocate64 if hasattr(libc, "fallocate64") else libc.fallocate
    except (OSError, AttributeError):
        return None
    function.argtypes = [ctypes.c_int, ctypes.c_int, ctypes.c_int64, ctypes.c_int64]
    function.restype = ctypes.c_int
    return function
