"""The byte pump: the kernel's fast path where it works, a plain read/write loop where it does not."""
from __future__ import annotations

import os
import threading

import pytest

from copier.errors import CopyAborted
from copier.transfer import RateLimiter, stream

SIZE = 3_000_000


@pytest.fixture
def source(tmp_path):
    path = tmp_path / "source.plot"
    path.write_bytes(os.urandom(SIZE))
    fd = os.open(path, os.O_RDONLY)
    yield path, fd
    os.close(fd)


def pump(src: int, dst_path, flags: int = 0, **kwargs) -> tuple[str, list[int]]:
    seen: list[int] = []
    dst = os.open(dst_path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC | flags)
    try:
        return stream(src, dst, SIZE, seen.append, kwargs.pop("stop", threading.Event()), **kwargs), seen
    finally:
        os.close(dst)


@pytest.mark.skipif(not hasattr(os, "copy_file_range"), reason="no copy_file_range on this platform")
def test_fast_path_copies_every_byte(source, tmp_path):
    path, src = source
    method, seen = pump(src, tmp_path / "copy")
    assert method == "copy_file_range"
    assert (tmp_path / "copy").read_bytes() == path.read_bytes() and seen[-1] == SIZE


def test_falls_back_to_read_write_where_the_kernel_paths_refuse(source, tmp_path):
    """Neither copy_file_range nor sendfile accept an O_APPEND target: the plain loop must take over."""
    path, src = source
    method, seen = pump(src, tmp_path / "copy", os.O_APPEND, limiter=RateLimiter(2e7))  # 2 MB chunks
    assert method == "read_write"
    assert (tmp_path / "copy").read_bytes() == path.read_bytes()
    assert seen == sorted(seen) and seen[-1] == SIZE and len(seen) > 1, "progress reported per chunk"


def test_stop_aborts_between_chunks(source, tmp_path):
    _, src = source
    stop = threading.Event()
    stop.set()
    with pytest.raises(CopyAborted):
        pump(src, tmp_path / "copy", limiter=RateLimiter(1e6), stop=stop)
