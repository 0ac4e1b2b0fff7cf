"""Give memory freed after a big burst (a 100k-plot list read and synced) back to the OS.

CPython and glibc keep freed memory for reuse, so the client's RSS would stay at its first-sync
peak for good; malloc_trim returns it. A no-op where glibc is not there (macOS, Windows, musl).
"""
from __future__ import annotations

import ctypes
import ctypes.util
import gc


def release_freed_memory() -> None:
    gc.collect()
    name = ctypes.util.find_library("c")
    if not name:
        return
    try:
        trim = ctypes.CDLL(name).malloc_trim
    except (OSError, AttributeError):
        return
    trim(0)
