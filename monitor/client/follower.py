"""Follow a growing log file the way chia and logrotate treat it.

- chia rotates by renaming debug.log to debug.log.1 (.. .7) and starting a new debug.log: the
  follower holds the old file open by its inode, reads it to the end, then opens the new one.
- logrotate `copytruncate` keeps the inode and cuts the file to zero: noticed by the file being
  shorter than what was read, or by its first bytes no longer being the ones remembered.
- deletion and re-creation: the path is watched until it exists again.
- a restart resumes where the last run stopped: the offset (with the inode and a hash of the first
  bytes that recognise the file) is kept in a small state file, written once what was read has been
  handled (`commit`), so old lines are not replayed and proofs neither counted twice nor lost. A
  reader whose facts wait in memory stores the `saved_state` of the `position()` it took with them
  instead, and hands it back to `resume`. If the file was rotated while teafarm was down, the rest of
  the rotated file is read first.
- a missing or quiet file is polled with a backoff (never a busy loop); a partial last line is held
  back until its newline arrives; reads are bounded so the event loop is never blocked for long.
- on Windows the file is not held open between polls (that would stop chia renaming it).
"""
from __future__ import annotations

import asyncio
import hashlib
import json
import logging
import os
from collections.abc import AsyncIterator
from dataclasses import asdict, dataclass
from pathlib import Path

log = logging.getLogger(__name__)

HEAD_BYTES = 1024          # the first bytes that recognise a file
CHUNK_BYTES = 256 << 10    # at most this much per poll: parsing it holds the event loop ~10 ms
MAX_LINE_BYTES = 4 << 20   # a "line" longer than this is passed on as it is


@dataclass
class FollowState:
    device: int
    inode: int
    offset: int            # bytes of this file already handled (whole lines)
    head: str              # sha256 of the file's first head_len bytes
    head_len: int


def _read_at(fd: int, length: int, offset: int) -> bytes:
    if hasattr(os, "pread"):
        return os.pread(fd, length, offset)
    os.lseek(fd, offset, os.SEEK_SET)  # Windows has no pread
    return os.read(fd, length)


def _head_of(fd: int, length: int) -> tuple[str, int]:
    data = _read_at(fd, length, 0)
    return hashlib.sha256(data).hexdigest(), len(data)


class LogFollower:
    def __init__(self, path: Path, state_file: Path | None = None, start_at_end: bool = True,
                 chunk_bytes: int = CHUNK_BYTES, min_wait: float = 0.25, max_wait: float = 5.0,
                 hold_open: bool = os.name != "nt") -> None:
        self.path = Path(path)
        # Windows cannot rename a file another process holds open: there the file is opened for each
        # poll and found again by its identity, so chia's own rotation keeps working
        self.hold_open = hold_open
        self.state_file = state_file
        self.chunk_bytes = chunk_bytes
        self.min_wait = min_wait
        self.max_wait = max_wait
        self._start_at_end = start_at_end   # only for a file met for the first time at start
        self._fd: int | None = None
        self._state: FollowState | None = None
        self._draining = False               # reading a rotated-away file to its end
        self._rotated_queue: list[int] = []  # open rotated files (newer ones) to read after it, oldest first
        self._read_pos = 0                   # offset + len(partial)
        self._partial = b""
        self._skip_fragment = False          # started mid-file: drop text before the first newline
        self._committed: FollowState | None = None
        self._loaded = False
        self.saved: dict = {}                # what the reader kept beside the position (`commit(extra=)`)
        self._given: dict | None = None       # a saved state handed to `resume`
        self._committed_extra: dict = {}
        self.generation = 0                  # counts the files (or truncations) read from their start

    # ---- public -----------------------------------------------------------------------------

    def poll(self) -> bytes:
        """Complete lines that arrived since the last poll (at most about `chunk_bytes`), or b""."""
        if not self._loaded:
            self._loaded = True
            self._resume(self._load_state())
        elif self._fd is None and self._state is not None:
            self._reattach()
        try:
            return self._poll_open()
        finally:
            if not self.hold_open:
                self._close_current()

    def _poll_open(self) -> bytes:
        if self._fd is None:
            opened = self._open_path(from_start=not self._start_at_end)
            self._start_at_end = False  # a file that appears later is new: read all of it
            if not opened:
                return b""
        elif self._truncated():
            log.info("%s was truncated (copytruncate?): reading it from the start", self.path)
            self._reset_position()
        data = _read_at(self._fd, self.chunk_bytes, self._read_pos)
        if data:
            self._read_pos += len(data)
            return self._lines(data)
        return self._at_end()

    def position(self) -> FollowState | None:
        """Where everything `poll` returned so far ends (to `commit` later)."""
        return None if self._state is None else FollowState(**asdict(self._state))

    def commit(self, position: FollowState | None = None, extra: dict | None = None) -> None:
        """Remember that everything `poll` returned so far (or up to `position`) has been handled;
        `extra` (JSON) is kept beside it and comes back as `saved` after a restart."""
        snapshot = position or self.position()
        extra = extra or {}
        if snapshot is None or self.state_file is None or (snapshot, extra) == (self._committed, self._committed_extra):
            return
        tmp = self.state_file.with_name(self.state_file.name + ".tmp")
        try:
            self.state_file.parent.mkdir(parents=True, exist_ok=True)
            tmp.write_text(json.dumps(self.saved_state(snapshot, extra)))
            os.replace(tmp, self.state_file)
            self._committed, self._committed_extra = snapshot, extra
        except OSError as exc:
            log.warning("cannot save log position to %s: %s", self.state_file, exc)

    def saved_state(self, position: FollowState, extra: dict | None = None) -> dict:
        """What `commit` writes, for a reader that stores it elsewhere (beside the facts it took)."""
        return {"path": str(self.path), **asdict(position), **(extra or {})}

    def resume(self, saved: dict) -> None:
        """Start where `saved` (a `saved_state`, stored elsewhere) says, not where the state file does."""
        self._given = saved

    async def blocks(self, commit: bool = True) -> AsyncIterator[bytes]:
        """Blocks of complete lines, forever; each is committed when the next one is asked for
        (without `commit`, the reader commits itself)."""
        wait = self.min_wait
        while True:
            data = self.poll()
            if data:
                yield data
                if commit:
                    self.commit()
                wait = self.min_wait
                await asyncio.sleep(0)
            else:
                await asyncio.sleep(wait)
                wait = min(wait * 2, self.max_wait)

    def close(self) -> None:
        """Stop following: close the file and any rotated files still waiting to be read."""
        self._close_current()
        for fd in self._rotated_queue:
            os.close(fd)
        self._rotated_queue = []

    def _close_current(self) -> None:
        if self._fd is not None:
            os.close(self._fd)
            self._fd = None

    # ---- reading ----------------------------------------------------------------------------

    def _lines(self, data: bytes) -> bytes:
        buffer = self._partial + data
        cut = buffer.rfind(b"\n") + 1
        if cut == 0 and len(buffer) < MAX_LINE_BYTES:
            self._partial = buffer
            return b""
        if cut == 0:
            cut = len(buffer)
            buffer += b"\n"
        out, self._partial = buffer[:cut], buffer[cut:]
        assert self._state is not None
        self._state.offset += cut
        self._refresh_head()
        if self._skip_fragment:
            self._skip_fragment = False
            out = out[out.find(b"\n") + 1:]
        return out

    def _at_end(self) -> bytes:
        """Nothing more to read from the open file: rotated, truncated, replaced or just quiet?"""
        assert self._fd is not None and self._state is not None
        try:
            now = os.stat(self.path)
        except FileNotFoundError:
            now = None
        same_file = now is not None and (now.st_dev, now.st_ino) == (self._state.device, self._state.inode)
        if same_file and not self._draining:
            return b""  # just quiet
        if now is None and not self._draining:
            return b""  # deleted or renamed: wait for a new file, keep the old one open meanwhile
        tail = self._partial + b"\n" if self._partial else b""  # the old file is finished
        log.info("%s was rotated or replaced: following the new file", self.path)
        self._close_current()
        self._partial = b""
        if self._rotated_queue:  # rotated more than once while teafarm was down: the next newer one
            self._fd = self._rotated_queue.pop(0)
            self._state = self._new_state(self._fd, 0)
            self._read_pos = 0
            self.generation += 1
            return tail or self.poll()
        self._draining = False
        if not self._open_path(from_start=True):
            self._state = None
            return tail
        return tail or self.poll()

    def _truncated(self) -> bool:
        """Cut short, or cut and written again (its first bytes are no longer the ones we know)."""
        assert self._fd is not None and self._state is not None
        return os.fstat(self._fd).st_size < self._read_pos or not self._head_matches(self._fd, self._state)

    def _reset_position(self) -> None:
        assert self._fd is not None
        self._partial = b""
        self._read_pos = 0
        self._state = self._new_state(self._fd, 0)
        self.generation += 1

    # ---- opening ----------------------------------------------------------------------------

    def _open_path(self, from_start: bool) -> bool:
        try:
            fd = os.open(self.path, os.O_RDONLY)
        except OSError:
            return False
        size = os.fstat(fd).st_size
        offset = 0 if from_start else size
        self._fd = fd
        self._state = self._new_state(fd, offset)
        self._read_pos = offset
        self._partial = b""
        self._skip_fragment = offset > 0 and _read_at(fd, 1, offset - 1) != b"\n"
        self.generation += 1
        return True

    def _new_state(self, fd: int, offset: int) -> FollowState:
        stat = os.fstat(fd)
        head, head_len = _head_of(fd, HEAD_BYTES)
        return FollowState(stat.st_dev, stat.st_ino, offset, head, head_len)

    def _refresh_head(self) -> None:
        """While a file is shorter than HEAD_BYTES its head grows: remember the longer one."""
        assert self._fd is not None and self._state is not None
        if self._state.head_len < HEAD_BYTES:
            self._state.head, self._state.head_len = _head_of(self._fd, HEAD_BYTES)

    @staticmethod
    def _head_matches(fd: int, state: FollowState) -> bool:
        return _head_of(fd, state.head_len) == (state.head, state.head_len)

    def _resume(self, saved: FollowState | None) -> None:
        """At start: find the file the state file talks about."""
        if saved is None:
            return
        self._start_at_end = False  # a file appearing later is new: read it all
        if self._find(saved):
            self._committed = FollowState(**asdict(saved))
        else:
            log.info("%s: the file teafarm read last is gone or was truncated: reading %s from the start",
                     self.state_file, self.path)

    def _reattach(self) -> None:
        """Without a held file (Windows): find the file we were reading again, by its identity."""
        assert self._state is not None
        partial = self._partial
        if self._find(self._state):
            self._partial, self._read_pos = partial, self._state.offset + len(partial)
        else:
            self._state, self._partial = None, b""

    def _find(self, saved: FollowState) -> bool:
        """Open the file `saved` describes: the current path, or a rotated sibling (debug.log.N)."""
        candidates = [self.path] + sorted(self.path.parent.glob(self.path.name + ".*"))
        for candidate in candidates:
            try:
                fd = os.open(candidate, os.O_RDONLY)
            except OSError:
                continue
            stat = os.fstat(fd)
            if ((stat.st_dev, stat.st_ino) == (saved.device, saved.inode) and stat.st_size >= saved.offset
                    and self._head_matches(fd, saved)):
                self._fd = fd
                self._state = FollowState(**asdict(saved))
                self._read_pos = saved.offset
                self._draining = candidate != self.path
                if self._draining and not self._rotated_queue:
                    self._rotated_queue = self._open_newer_rotations(candidate)
                return True
            os.close(fd)
        return False

    def _open_newer_rotations(self, rotated: Path) -> list[int]:
        """debug.log.3 was ours: .2 and .1 came after it. Opened now, before chia rotates again."""
        try:
            number = int(rotated.name.rsplit(".", 1)[1])
        except (IndexError, ValueError):
            return []
        newer = []
        for n in range(number - 1, 0, -1):
            try:
                newer.append(os.open(self.path.with_name(f"{self.path.name}.{n}"), os.O_RDONLY))
            except OSError:
                continue
        return newer

    def _load_state(self) -> FollowState | None:
        if self._given is not None:
            where, load = "the saved log position", lambda: self._given
        elif self.state_file is not None and self.state_file.is_file():
            where, load = f"log position file {self.state_file}", lambda: json.loads(self.state_file.read_text())
        else:
            return None
        try:
            raw = load()
            if raw.get("path") != str(self.path):
                return None
            state = FollowState(int(raw["device"]), int(raw["inode"]), int(raw["offset"]), str(raw["head"]),
                                int(raw["head_len"]))
            self.saved = {k: v for k, v in raw.items() if k != "path" and k not in asdict(state)}
            return state
        except (OSError, ValueError, KeyError, TypeError, AttributeError) as exc:
            log.warning("ignoring unreadable %s: %s", where, exc)
            return None
