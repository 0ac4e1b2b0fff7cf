"""Move bytes from one open file to another as fast as the platform allows.

Linux: copy_file_range (the kernel copies, no trip through Python), else sendfile; elsewhere
(macOS, Windows, exotic filesystems) a plain read/write loop with a large reused buffer. Copies go in
chunks so progress can be reported, a stop honoured and a bandwidth limit kept between chunks.
"""
from __future__ import annotations

import errno
import hashlib
import os
import threading
import time
from collections.abc import Callable

from copier.errors import CopyAborted, SourceFault

CHUNK = 64 * 1024 * 1024
# errors that mean "this method does not work for these two files", not "the copy failed"
UNSUPPORTED = {errno.ENOSYS, errno.EXDEV, errno.EINVAL, errno.EOPNOTSUPP, errno.ENOTSUP, errno.ENOTSOCK, errno.EBADF}


class RateLimiter:
    """One budget of bytes per second shared by all copies (the limit is for the copier as a whole)."""

    def __init__(self, bytes_per_s: float) -> None:
        self.bytes_per_s = bytes_per_s
        self._lock = threading.Lock()
        self._free_at = 0.0

    def wait(self, nbytes: int, stop: threading.Event) -> None:
        with self._lock:
            now = time.monotonic()
            start = max(now, self._free_at)
            self._free_at = start + nbytes / self.bytes_per_s
        if start > now and stop.wait(start - now):
            raise CopyAborted("stopping")

    def chunk(self) -> int:
        """Small enough that one chunk takes about a tenth of a second at the limit."""
        return int(min(CHUNK, max(64 * 1024, self.bytes_per_s / 10)))


def stream(src: int, dst: int, size: int, progress: Callable[[int], None], stop: threading.Event,
           limiter: RateLimiter | None = None, check: Callable[[], None] | None = None) -> str:
    """Copy `size` bytes from offset 0 of `src` to offset 0 of `dst`; return the method that did it.
    `progress` gets the bytes written so far (as the copy calls counted them); `check` is called
    between chunks and may raise to end the copy (the target's disk is gone, say)."""
    methods = [_copy_file_range, _sendfile, _read_write] if hasattr(os, "copy_file_range") else [_sendfile, _read_write]
    if not hasattr(os, "sendfile"):
        methods = [m for m in methods if m is not _sendfile]
    chunk = limiter.chunk() if limiter else CHUNK
    buffer = bytearray()   # only the read/write fallback fills it
    done = 0
    while done < size:
        if stop.is_set():
            raise CopyAborted("stopping")
        if check is not None:
            check()
        count = min(chunk, size - done)
        if limiter:
            limiter.wait(count, stop)
        try:
            copied = methods[0](src, dst, done, count, buffer)
        except OSError as exc:
            if exc.errno not in UNSUPPORTED or len(methods) == 1:
                raise
            methods.pop(0)
            continue
        if copied == 0:
            raise SourceFault(f"source ended at {done} of {size} bytes (truncated while copying?)")
        _write_behind(src, dst, done, copied)
        done += copied
        progress(done)
    return methods[0].__name__.lstrip("_")


def _write_behind(src: int, dst: int, offset: int, count: int) -> None:
    """Start writing the chunk just copied to the disk now (DONTNEED on dirty pages starts their
    writeback without waiting), so the final fsync has little left to do and the disk never idles
    while we copy; and forget the chunks before it (written by now), so a 100 GiB plot does not push
    everything else out of the page cache. A hint: without posix_fadvise the final fsync does it all."""
    if not hasattr(os, "posix_fadvise"):
        return
    behind = max(0, offset - 2 * count)
    try:
        os.posix_fadvise(dst, offset, count, os.POSIX_FADV_DONTNEED)
        os.posix_fadvise(dst, behind, offset - behind, os.POSIX_FADV_DONTNEED)
        os.posix_fadvise(src, behind, offset + count - behind, os.POSIX_FADV_DONTNEED)
    except OSError:
        pass


def _copy_file_range(src: int, dst: int, offset: int, count: int, buffer: bytearray) -> int:
    return os.copy_file_range(src, dst, count, offset, offset)


def _sendfile(src: int, dst: int, offset: int, count: int, buffer: bytearray) -> int:
    os.lseek(dst, offset, os.SEEK_SET)   # sendfile writes at the output's position
    return os.sendfile(dst, src, offset, count)


def _read_write(src: int, dst: int, offset: int, count: int, buffer: bytearray) -> int:
    if len(buffer) < count:
        buffer.extend(bytes(count - len(buffer)))
    view = memoryview(buffer)[:count]
    got = os.preadv(src, [view], offset) if hasattr(os, "preadv") else _read_into(src, view, offset)
    os.lseek(dst, offset, os.SEEK_SET)
    written = 0
    while written < got:
        written += os.write(dst, view[written:got])
    return got


def _read_into(fd: int, view: memoryview, offset: int) -> int:
    data = pread(fd, len(view), offset)
    view[:len(data)] = data
    return len(data)


def pread(fd: int, count: int, offset: int) -> bytes:
    """os.pread where it exists (not on Windows)."""
    if hasattr(os, "pread"):
        return os.pread(fd, count, offset)
    os.lseek(fd, offset, os.SEEK_SET)
    return os.read(fd, count)


def digest(fd: int, size: int, stop: threading.Event, limiter: RateLimiter | None = None,
           progress: Callable[[int], None] = lambda done: None) -> str:
    """blake2b of the first `size` bytes of an open file (read with pread; the position is untouched).
    The reads count against the bandwidth limit (reading a copy back crosses the same disk or network);
    `progress` gets the bytes hashed so far."""
    hasher = hashlib.blake2b()
    block_size = min(8 * 1024 * 1024, limiter.chunk()) if limiter else 8 * 1024 * 1024
    offset = 0
    while offset < size:
        if stop.is_set():
            raise CopyAborted("stopping")
        count = min(block_size, size - offset)
        if limiter:
            limiter.wait(count, stop)
        block = pread(fd, count, offset)
        if not block:
            break
        hasher.update(block)
        offset += len(block)
        progress(offset)
    return hasher.hexdigest()


def drop_cached_pages(fd: int) -> None:
    """Forget the file's (clean) cached pages, so the next read comes from the disk; a hint only."""
    if hasattr(os, "posix_fadvise"):
        try:
            os.posix_fadvise(fd, 0, 0, os.POSIX_FADV_DONTNEED)
        except OSError:
            pass
