"""Move one plot into one target folder, so that at every instant the plot is intact somewhere.

Across filesystems: claim `<name>.teafarm-partial` (an owner file says whose it is, see partials.py),
reserve the plot's space, copy while watching that the disk is still there (watch.py), check the
bytes written and (optionally) a checksum read back from the disk, fsync, check that the file we wrote
is still the one the path leads to, rename to the final name without overwriting, fsync the folder,
and only then delete the source. On the same filesystem: rename. Every failure leaves the source
untouched and removes our partial file (never another copier's). A file of the plot's name already at
the target is compared in full (settle_duplicate). Nothing is compared with, or deleted in favour of,
the source file itself (overlap.same_file).
"""
from __future__ import annotations

import errno
import os
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from copier.errors import (DifferentFile, MoveError, NameTaken, SameFile, SourceFault, SourceVanished,
                           TargetFault, TargetFull)
from copier.overlap import same_file
from copier.partials import PARTIAL_SUFFIX, Owner, claim, partial_path, release, this_owner
from copier.space import reserve
from copier.transfer import RateLimiter, digest, drop_cached_pages, pread, stream
from copier.watch import CopyWatch

__all__ = ["PARTIAL_SUFFIX", "MoveResult", "Reporter", "copy_plot", "move_plot", "settle_duplicate"]

READ = os.O_RDONLY | getattr(os, "O_BINARY", 0)
CREATE = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_BINARY", 0)   # never another's partial


@dataclass
class MoveResult:
    final: Path
    method: str                # "rename", "already there", or how the bytes were copied
    size: int
    seconds: float
    source_removed: bool       # False when the source was replaced or removed by someone else meanwhile


@dataclass
class Reporter:
    """What a move tells while it runs (the copier puts it in the job's status)."""
    progress: Callable[[int], None] = lambda done: None   # bytes of the current phase done
    phase: Callable[[str], None] = lambda name: None      # "copying", then "verifying" while hashing
    reserved: Callable[[], None] = lambda: None           # the target filesystem holds the plot's space now
    owner: Owner = field(default_factory=this_owner)      # written beside our partial files


def same_filesystem(source: Path, folder: Path) -> bool:
    return os.stat(source).st_dev == os.stat(folder).st_dev


def move_plot(source: Path, size: int, folder: Path, *, verify_checksum: bool, stop: threading.Event,
              limiter: RateLimiter | None = None, progress: Callable[[int], None] | None = None,
              reporter: Reporter | None = None) -> MoveResult:
    """Move `source` (expected to be `size` bytes) into `folder`; raises a MoveError subclass on failure."""
    reporter = reporter or Reporter()
    if progress is not None:
        reporter.progress = progress
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
        reporter.progress(size)
        return MoveResult(final, "rename", size, time.monotonic() - started, True)
    method, source_removed = copy_plot(source, size, folder, verify_checksum=verify_checksum, stop=stop,
                                       limiter=limiter, reporter=reporter)
    return MoveResult(final, method, size, time.monotonic() - started, source_removed)


def copy_plot(source: Path, size: int, folder: Path, *, verify_checksum: bool, stop: threading.Event,
              limiter: RateLimiter | None, progress: Callable[[int], None] | None = None,
              reporter: Reporter | None = None) -> tuple[str, bool]:
    """The cross-filesystem path of move_plot: returns (copy method, source removed)."""
    reporter = reporter or Reporter()
    if progress is not None:
        reporter.progress = progress
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
        method = _copy_into_place(src, source, size, folder, verify_checksum, stop, limiter, reporter)
        return method, _remove_source(source, src_stat, folder / source.name)
    finally:
        drop_cached_pages(src)
        os.close(src)


def _copy_into_place(src: int, source: Path, size: int, folder: Path, verify_checksum: bool,
                     stop: threading.Event, limiter: RateLimiter | None, reporter: Reporter) -> str:
    final = folder / source.name
    partial = partial_path(folder, source.name)
    if os.path.lexists(final):
        raise NameTaken(f"{final}: already exists")
    _claim(partial, folder, reporter.owner)
    dst, written, renamed = -1, None, False
    try:
        try:
            dst = os.open(partial, CREATE, 0o644)
        except FileExistsError:
            raise NameTaken(f"{partial}: another copier's partial copy is there (no owner file); "
                            f"not touching it") from None
        except OSError as exc:
            raise _target_error(exc, folder, "cannot create a file") from None
        written = os.fstat(dst)
        if reserve(dst, size, folder):
            reporter.reserved()
        watch = CopyWatch(dst, folder, partial)
        counted = [0]

        def copied(done: int) -> None:
            counted[0] = done
            reporter.progress(done)

        reporter.phase("copying")
        try:
            method = stream(src, dst, size, copied, stop, limiter, check=watch.due)
            os.fsync(dst)
            drop_cached_pages(dst)   # 100 GiB of clean plot pages would push everything else out
        except OSError as exc:
            raise _classify(exc, src, folder, watch) from None
        written = _check_written(dst, partial, size, counted[0], watch)
        if verify_checksum:
            reporter.phase("verifying")
            _compare_checksums(src, partial, size, stop, limiter, reporter.progress)
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
        if not renamed and written is not None:
            _remove_if_ours(partial, written)
        release(partial)


def _claim(partial: Path, folder: Path, owner: Owner) -> None:
    try:
        claim(partial, owner)
    except FileExistsError:
        raise NameTaken(f"{partial}: another copier is writing this plot here") from None
    except OSError as exc:
        raise _target_error(exc, folder, "cannot create a file") from None


def _check_written(dst: int, partial: Path, size: int, counted: int, watch: CopyWatch) -> os.stat_result:
    """Every byte went out (as the copy calls counted them, and as the file's size says), the disk is
    still mounted, and the path still leads to them (not so after `umount -l`)."""
    if counted != size:
        raise TargetFault(f"{partial}: {counted} bytes written, expected {size}")
    if os.fstat(dst).st_size != size:
        raise TargetFault(f"{partial}: {os.fstat(dst).st_size} bytes on the disk, expected {size}")
    return watch.check()


def _check_same_file(final: Path, written: os.stat_result) -> None:
    """After the rename the final name must lead to what we wrote, or the source stays."""
    try:
        seen = os.stat(final)
    except OSError as exc:
        raise TargetFault(f"{final}: gone right after the rename ({exc.strerror}); disk unmounted?") from None
    if not same_file(seen, written) or seen.st_size != written.st_size:
        raise TargetFault(f"{final}: not the file just written; disk unmounted or replaced?")


def _compare_checksums(src: int, partial: Path, size: int, stop: threading.Event, limiter: RateLimiter | None,
                       progress: Callable[[int], None]) -> None:
    """Hash the source and the copy as read back from the target disk (its cached pages were dropped)."""
    try:
        expected = digest(src, size, stop, limiter, lambda done: progress(done // 2))
    except OSError as exc:
        raise SourceFault(f"cannot read the source back ({exc.strerror})") from None
    try:
        copied = _digest_path(partial, size, stop, limiter, lambda done: progress((size + done) // 2))
    except OSError as exc:
        raise TargetFault(f"{partial}: cannot read the copy back ({exc.strerror})") from None
    if copied != expected:
        raise TargetFault(f"{partial}: checksum of the copy differs from the source; bad disk or cable?")


def _digest_path(path: Path, size: int, stop: threading.Event, limiter: RateLimiter | None = None,
                 progress: Callable[[int], None] = lambda done: None) -> str:
    fd = os.open(path, READ)
    try:
        drop_cached_pages(fd)
        return digest(fd, size, stop, limiter, progress)
    finally:
        os.close(fd)


def settle_duplicate(source: Path, folder: Path, *, stop: threading.Event, limiter: RateLimiter | None = None,
                     reporter: Reporter | None = None, verify_checksum: bool = True) -> MoveResult:
    """The target already holds a file with the plot's name (a move that crashed after the rename, say):
    compare the two in full (both hashed, whatever `verify_checksum` says: samples once let a copy that
    differed in the middle cost the only good one); the same bytes: delete the source; otherwise leave
    both and fail with the reason."""
    reporter = reporter or Reporter()
    started = time.monotonic()
    final = folder / source.name
    try:
        before = os.stat(source)
    except FileNotFoundError:
        raise SourceVanished(f"{source}: gone before the check started") from None
    try:
        other = os.stat(final)
    except OSError as exc:
        raise MoveError(f"{final}: the file of this name went away before the check ({exc.strerror}); "
                        f"the plot will be copied again") from None
    if same_file(before, other):
        raise SameFile(f"{final} is the source file itself ({source}): target and source overlap; left alone")
    if other.st_size != before.st_size:
        raise DifferentFile(f"{final} already exists with another size ({other.st_size} bytes, the source "
                            f"{before.st_size}); kept both, the source stays")
    reporter.phase("verifying")
    size = before.st_size
    try:
        fd = os.open(source, READ)
    except FileNotFoundError:
        raise SourceVanished(f"{source}: gone before the check started") from None
    except OSError as exc:
        raise SourceFault(f"{source}: cannot open ({exc.strerror})") from None
    try:
        if not same_file(os.fstat(fd), before):
            raise SourceFault(f"{source}: replaced while checking")
        expected = digest(fd, size, stop, limiter, lambda done: reporter.progress(done // 2))
    except OSError as exc:
        raise SourceFault(f"{source}: cannot read ({exc.strerror})") from None
    finally:
        drop_cached_pages(fd)
        os.close(fd)
    try:
        found = _digest_path(final, size, stop, limiter, lambda done: reporter.progress((size + done) // 2))
    except OSError as exc:
        raise TargetFault(f"{final}: cannot read it ({exc.strerror})") from None
    if found != expected:
        raise DifferentFile(f"{final} already exists with other bytes of the same size (compared in full); "
                            f"kept both, the source stays")
    return MoveResult(final, "already there", size, time.monotonic() - started, _remove_source(source, before, final))


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


def _remove_source(source: Path, copied: os.stat_result, final: Path) -> bool:
    """Delete the source, unless the name now leads to a different file than the one we copied; and
    never when `final` (the copy) is that very file (overlapping folders)."""
    try:
        now = os.stat(source)
    except FileNotFoundError:
        return False
    if not same_file(now, copied):
        return False
    try:
        copy = os.stat(final)
    except OSError as exc:
        raise TargetFault(f"{final}: gone before the source could be deleted ({exc.strerror})") from None
    if same_file(copy, now):
        raise SameFile(f"{final} is the source file itself ({source}): target and source overlap; left alone")
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


def _classify(exc: OSError, src: int, folder: Path, watch: CopyWatch) -> MoveError:
    """copy_file_range cannot say which side failed: a full disk is the target's; otherwise ask the
    source, then the watch (an unmounted disk says so better than EIO)."""
    if exc.errno in (errno.ENOSPC, errno.EDQUOT):
        return TargetFull(f"{folder}: disk full ({exc.strerror})")
    try:
        os.fstat(src)
        pread(src, 1, 0)
    except OSError as source_exc:
        return SourceFault(f"cannot read the source ({source_exc.strerror})")
    try:
        watch.check()
    except MoveError as found:
        return found
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


def _remove_if_ours(partial: Path, written: os.stat_result) -> None:
    """Remove the partial file we created, but not a file someone else put under its name since."""
    try:
        if same_file(os.stat(partial), written):
            os.unlink(partial)
    except OSError:
        pass

