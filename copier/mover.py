"""Move one plot into one target folder, so that at every instant the plot is intact somewhere.

Across filesystems: copy to `<name>.teafarm-partial`, check size and (optionally) a checksum read
back from the disk, fsync, check that the file we wrote is still the one the path leads to (a lazy
unmount or a deleted folder would make us write into nothing), rename to the final name without
overwriting, fsync the folder, and only then delete the source. On the same filesystem: rename.
Every failure leaves the source untouched and removes the partial file.
"""
from __future__ import annotations

import errno
import os
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from copier.errors import MoveError, NameTaken, SourceFault, SourceVanished, TargetFault, TargetFull
from copier.transfer import RateLimiter, digest, drop_cached_pages, pread, stream

PARTIAL_SUFFIX = ".teafarm-partial"
READ = os.O_RDONLY | getattr(os, "O_BINARY", 0)
WRITE = os.O_WRONLY | os.O_CREAT | os.O_TRUNC | getattr(os, "O_BINARY", 0)
SAMPLE = 1024 * 1024


@dataclass
class MoveResult:
    final: Path
    method: str                # "rename", or how the bytes were copied
    size: int
    seconds: float
    source_removed: bool       # False when the source was replaced or removed by someone else meanwhile


def partial_path(folder: Path, plot_name: str) -> Path:
    return folder / (plot_name + PARTIAL_SUFFIX)


def same_filesystem(source: Path, folder: Path) -> bool:
    return os.stat(source).st_dev == os.stat(folder).st_dev


def move_plot(source: Path, size: int, folder: Path, *, verify_checksum: bool, stop: threading.Event,
              limiter: RateLimiter | None = None, progress: Callable[[int], None] = lambda done: None) -> MoveResult:
    """Move `source` (expected to be `size` bytes) into `folder`; raises a MoveError subclass on failure."""
    started = time.monotonic()
    try:
        same = same_filesystem(source, folder)
    except FileNotFoundError:
        if not source.exists():
            raise SourceVanished(f"{source}: gone before the copy started") from None
        raise TargetFault(f"{folder}: folder is missing") from None
    except OSError as exc:
        raise TargetFault(f"{folder}: {exc.strerror}") from None
    final = folder / source.name
    if same:
        if not source.exists():
            raise SourceVanished(f"{source}: gone before the move started")
        _rename_no_replace(source, final)
        _fsync_folder(folder)
        _fsync_folder(source.parent)
        progress(size)
        return MoveResult(final, "rename", size, time.monotonic() - started, True)
    method, source_removed = copy_plot(source, size, folder, verify_checksum=verify_checksum, stop=stop,
                                       limiter=limiter, progress=progress)
    return MoveResult(final, method, size, time.monotonic() - started, source_removed)


def copy_plot(source: Path, size: int, folder: Path, *, verify_checksum: bool, stop: threading.Event,
              limiter: RateLimiter | None, progress: Callable[[int], None]) -> tuple[str, bool]:
    """The cross-filesystem path of move_plot: returns (copy method, source removed)."""
    try:
        src = os.open(source, READ)
    except FileNotFoundError:
        raise SourceVanished(f"{source}: gone before the copy started") from None
    except OSError as exc:
        raise SourceFault(f"{source}: cannot open ({exc.strerror})") from None
    try:
        src_stat = os.fstat(src)
        if src_stat.st_size != size:
            raise SourceFault(f"{source}: size changed from {size} to {src_stat.st_size} bytes; still being written?")
        _advise_sequential(src)
        method = _copy_into_place(src, source, size, folder, verify_checksum, stop, limiter, progress)
        return method, _remove_source(source, src_stat)
    finally:
        drop_cached_pages(src)
        os.close(src)


def _copy_into_place(src: int, source: Path, size: int, folder: Path, verify_checksum: bool,
                     stop: threading.Event, limiter: RateLimiter | None, progress: Callable[[int], None]) -> str:
    final = folder / source.name
    partial = partial_path(folder, source.name)
    if os.path.lexists(final):
        raise NameTaken(f"{final}: already exists")
    try:
        dst = os.open(partial, WRITE, 0o644)
    except OSError as exc:
        raise _target_error(exc, folder, "cannot create a file") from None
    renamed = False
    try:
        try:
            method = stream(src, dst, size, progress, stop, limiter)
            os.fsync(dst)
            drop_cached_pages(dst)   # 100 GiB of clean plot pages would push everything else out
        except OSError as exc:
            raise _classify(exc, src, size, folder) from None
        written = _check_written(dst, partial, size)
        if verify_checksum:
            _compare_checksums(src, partial, size, stop)
        try:
            os.close(dst)
        except OSError as exc:   # some network filesystems report a failed write only here
            raise _target_error(exc, folder, "write failed") from None
        finally:
            dst = -1
        _rename_no_replace(partial, final)
        renamed = True
        _fsync_folder(folder)
        _check_same_file(final, written)
        return method
    finally:
        if dst >= 0:
            os.close(dst)
        if not renamed:
            _remove_quietly(partial)


def _check_written(dst: int, partial: Path, size: int) -> os.stat_result:
    """The bytes are on the disk, and the path still leads to them (not so after `umount -l`)."""
    written = os.fstat(dst)
    if written.st_size != size:
        raise TargetFault(f"{partial}: {written.st_size} bytes written, expected {size}")
    try:
        seen = os.stat(partial)
    except OSError as exc:
        raise TargetFault(f"{partial.parent}: the copy disappeared ({exc.strerror}); folder removed or disk unmounted?") from None
    if (seen.st_dev, seen.st_ino) != (written.st_dev, written.st_ino):
        raise TargetFault(f"{partial.parent}: the folder now leads to another file; disk unmounted or replaced?")
    return written


def _check_same_file(final: Path, written: os.stat_result) -> None:
    """After the rename the final name must lead to what we wrote, or the source stays."""
    try:
        seen = os.stat(final)
    except OSError as exc:
        raise TargetFault(f"{final}: gone right after the rename ({exc.strerror}); disk unmounted?") from None
    if (seen.st_dev, seen.st_ino, seen.st_size) != (written.st_dev, written.st_ino, written.st_size):
        raise TargetFault(f"{final}: not the file just written; disk unmounted or replaced?")


def _compare_checksums(src: int, partial: Path, size: int, stop: threading.Event) -> None:
    """Hash the source and the copy as read back from the target disk (its cached pages were dropped)."""
    try:
        expected = digest(src, size, stop)
    except OSError as exc:
        raise SourceFault(f"cannot read the source back ({exc.strerror})") from None
    try:
        copied = _digest_path(partial, size, stop)   # the copy's own fd is write-only
    except OSError as exc:
        raise TargetFault(f"{partial}: cannot read the copy back ({exc.strerror})") from None
    if copied != expected:
        raise TargetFault(f"{partial}: checksum of the copy differs from the source; bad disk or cable?")


def _digest_path(path: Path, size: int, stop: threading.Event) -> str:
    fd = os.open(path, READ)
    try:
        drop_cached_pages(fd)
        return digest(fd, size, stop)
    finally:
        os.close(fd)


def settle_duplicate(source: Path, folder: Path, *, verify_checksum: bool, stop: threading.Event) -> MoveResult:
    """The target already holds a file with the plot's name (a move that crashed after the rename, say):
    if it holds the same bytes, delete the source; otherwise leave both alone."""
    started = time.monotonic()
    final = folder / source.name
    try:
        before = os.stat(source)
    except FileNotFoundError:
        raise SourceVanished(f"{source}: gone before the check started") from None
    if not same_content(source, final, verify_checksum, stop):
        raise NameTaken(f"{final}: a different file with this name is already there; not overwriting it")
    return MoveResult(final, "already there", before.st_size, time.monotonic() - started, _remove_source(source, before))


def same_content(source: Path, other: Path, full: bool, stop: threading.Event) -> bool:
    """Whether `other` holds the same bytes as `source`: size plus samples (start, middle, end), or a full hash."""
    try:
        a, b = os.open(source, READ), None
        try:
            b = os.open(other, READ)
            size = os.fstat(a).st_size
            if os.fstat(b).st_size != size:
                return False
            if full:
                return digest(a, size, stop) == digest(b, size, stop)
            offsets = {0, max(0, size // 2 - SAMPLE // 2), max(0, size - SAMPLE)}
            return all(pread(a, SAMPLE, o) == pread(b, SAMPLE, o) for o in offsets)
        finally:
            os.close(a)
            if b is not None:
                os.close(b)
    except OSError:
        return False


def _rename_no_replace(old: Path, new: Path) -> None:
    """Rename without ever replacing an existing plot (a hard link is atomic and refuses to replace)."""
    if os.path.lexists(new):
        raise NameTaken(f"{new}: already exists")
    try:
        os.link(old, new)
    except FileExistsError:
        raise NameTaken(f"{new}: already exists") from None
    except OSError as exc:
        if exc.errno not in (errno.EPERM, errno.ENOTSUP, errno.EOPNOTSUPP, errno.EMLINK, errno.EXDEV, errno.ENOSYS):
            raise _target_error(exc, new.parent, "cannot rename into place") from None
        # no hard links here (FAT, exFAT, some FUSE): checked above, rename is the best left
        try:
            os.rename(old, new)
        except OSError as exc2:
            raise _target_error(exc2, new.parent, "cannot rename into place") from None
        return
    try:
        os.unlink(old)
    except FileNotFoundError:
        pass


def _remove_source(source: Path, copied: os.stat_result) -> bool:
    """Delete the source, unless the name now leads to a different file than the one we copied."""
    try:
        now = os.stat(source)
    except FileNotFoundError:
        return False
    if (now.st_dev, now.st_ino) != (copied.st_dev, copied.st_ino):
        return False
    try:
        os.unlink(source)
    except FileNotFoundError:
        return False
    except OSError as exc:
        raise SourceFault(f"{source}: copied, but cannot delete the source ({exc.strerror})") from None
    try:
        _fsync_folder(source.parent)
    except MoveError:
        pass   # the plot is safe at the target; at worst a crash brings the source back, and it is deduplicated
    return True


def _fsync_folder(folder: Path) -> None:
    """Make a rename durable; folders cannot be opened (nor need this) on Windows."""
    if os.name == "nt":
        return
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError as exc:
        raise _target_error(exc, folder, "cannot open the folder to sync it") from None
    try:
        os.fsync(fd)
    except OSError as exc:
        if exc.errno != errno.EINVAL:   # some filesystems cannot fsync a folder; nothing to do then
            raise _target_error(exc, folder, "cannot sync the folder") from None
    finally:
        os.close(fd)


def _classify(exc: OSError, src: int, size: int, folder: Path) -> MoveError:
    """copy_file_range cannot say which side failed: a full disk is the target's; otherwise ask the source."""
    if exc.errno in (errno.ENOSPC, errno.EDQUOT):
        return TargetFull(f"{folder}: disk full ({exc.strerror})")
    try:
        os.fstat(src)
        pread(src, 1, 0)
    except OSError as source_exc:
        return SourceFault(f"cannot read the source ({source_exc.strerror})")
    return _target_error(exc, folder, "write failed")


def _target_error(exc: OSError, folder: Path, what: str) -> MoveError:
    if exc.errno in (errno.ENOSPC, errno.EDQUOT):
        return TargetFull(f"{folder}: disk full ({exc.strerror})")
    return TargetFault(f"{folder}: {what} ({exc.strerror or exc})")


def _advise_sequential(fd: int) -> None:
    if hasattr(os, "posix_fadvise"):
        try:
            os.posix_fadvise(fd, 0, 0, os.POSIX_FADV_SEQUENTIAL)
        except OSError:
            pass


def _remove_quietly(path: Path) -> None:
    try:
        os.unlink(path)
    except OSError:
        pass

