"""LogFollower on real files: chia's rename rotation, logrotate copytruncate, deletion and
re-creation, restart without replay, partial lines, and a missing file that is waited for cheaply."""
from __future__ import annotations

import asyncio
import os
import time
from pathlib import Path

import pytest

from monitor.client.follower import LogFollower


@pytest.fixture(params=[True, False], ids=["held-open", "reopened-each-poll"], autouse=True)
def hold_open(request, monkeypatch) -> bool:
    """Every test runs twice: holding the file open (Linux, macOS) and reopening it for each poll
    and finding it again by identity (what Windows needs so chia can still rename it)."""
    original = LogFollower.__init__

    def init(self, *args, **kwargs):
        kwargs.setdefault("hold_open", request.param)
        original(self, *args, **kwargs)

    monkeypatch.setattr(LogFollower, "__init__", init)
    return request.param


def append(path: Path, text: str) -> None:
    with path.open("a", encoding="utf-8") as file:
        file.write(text)


def drain(follower: LogFollower) -> bytes:
    """Everything available now (polls until a poll returns nothing twice)."""
    out, empty = b"", 0
    while empty < 2:
        data = follower.poll()
        empty = 0 if data else empty + 1
        out += data
    follower.commit()
    return out


def started(log: Path, state: Path | None, **options) -> LogFollower:
    """A follower that has taken its first look at the file (and so fixed where it starts)."""
    follower = LogFollower(log, state, **options)
    assert drain(follower) == b""
    return follower


def test_first_start_skips_history_then_follows(tmp_path: Path) -> None:
    log = tmp_path / "debug.log"
    log.write_text("old 1\nold 2\n")
    follower = LogFollower(log, tmp_path / "state.json")
    assert drain(follower) == b""
    append(log, "new 1\nnew 2\n")
    assert drain(follower) == b"new 1\nnew 2\n"


def test_partial_line_is_held_until_complete(tmp_path: Path) -> None:
    log = tmp_path / "debug.log"
    log.write_text("")
    follower = started(log, None)
    append(log, "complete\nhalf a li")
    assert drain(follower) == b"complete\n"
    append(log, "ne\n")
    assert drain(follower) == b"half a line\n"


def test_restart_neither_replays_nor_skips(tmp_path: Path) -> None:
    log, state = tmp_path / "debug.log", tmp_path / "state.json"
    log.write_text("")
    first = started(log, state)
    append(log, "a\nb\n")
    assert drain(first) == b"a\nb\n"
    first.close()
    append(log, "c\n")  # written while teafarm was down
    second = LogFollower(log, state)
    assert drain(second) == b"c\n"


def test_uncommitted_block_is_read_again_after_restart(tmp_path: Path) -> None:
    log, state = tmp_path / "debug.log", tmp_path / "state.json"
    log.write_text("")
    first = started(log, state)
    append(log, "a\n")
    assert drain(first) == b"a\n"
    append(log, "b\n")
    assert first.poll() == b"b\n"  # handed out, but the crash comes before commit
    first.close()
    assert drain(LogFollower(log, state)) == b"b\n"


def test_chia_rename_rotation_reads_old_file_to_its_end(tmp_path: Path) -> None:
    log = tmp_path / "debug.log"
    log.write_text("")
    follower = started(log, tmp_path / "state.json")
    append(log, "1\n")
    assert drain(follower) == b"1\n"
    append(log, "2\n")                       # written just before the rotation, not read yet
    os.rename(log, tmp_path / "debug.log.1")
    log.write_text("3\n")
    assert drain(follower) == b"2\n3\n"
    append(log, "4\n")
    assert drain(follower) == b"4\n"


def test_rotation_while_down_finishes_the_rotated_file_first(tmp_path: Path) -> None:
    log, state = tmp_path / "debug.log", tmp_path / "state.json"
    log.write_text("")
    first = started(log, state)
    append(log, "1\n")
    assert drain(first) == b"1\n"
    first.close()
    append(log, "2\n")
    os.rename(log, tmp_path / "debug.log.1")
    log.write_text("3\n")
    assert drain(LogFollower(log, state)) == b"2\n3\n"


def test_copytruncate_starts_over_at_zero(tmp_path: Path) -> None:
    log = tmp_path / "debug.log"
    log.write_text("")
    follower = started(log, tmp_path / "state.json")
    append(log, "x" * 50 + "\n")
    assert drain(follower) == b"x" * 50 + b"\n"
    inode = log.stat().st_ino
    with log.open("r+") as file:  # what logrotate copytruncate does after copying
        file.truncate(0)
    append(log, "after truncate\n")
    assert log.stat().st_ino == inode
    assert drain(follower) == b"after truncate\n"


def test_copytruncate_and_regrowth_past_old_offset_is_noticed(tmp_path: Path) -> None:
    log = tmp_path / "debug.log"
    log.write_text("")
    follower = started(log, tmp_path / "state.json")
    append(log, "first line\n")
    assert drain(follower) == b"first line\n"
    with log.open("r+") as file:
        file.truncate(0)
    fresh = "".join(f"fresh {i}\n" for i in range(10))  # longer than what was read before
    append(log, fresh)
    assert drain(follower) == fresh.encode()


def test_deleted_then_recreated(tmp_path: Path) -> None:
    log = tmp_path / "debug.log"
    log.write_text("")
    follower = started(log, tmp_path / "state.json")
    append(log, "before\n")
    assert drain(follower) == b"before\n"
    log.unlink()
    assert drain(follower) == b""
    log.write_text("reborn\n")
    assert drain(follower) == b"reborn\n"


def test_file_created_after_start_is_read_from_its_beginning(tmp_path: Path) -> None:
    log = tmp_path / "debug.log"
    follower = LogFollower(log, tmp_path / "state.json")
    assert drain(follower) == b""
    log.write_text("hello\n")
    assert drain(follower) == b"hello\n"


def test_large_backlog_comes_in_bounded_blocks(tmp_path: Path) -> None:
    log = tmp_path / "debug.log"
    log.write_text("")
    follower = started(log, None, chunk_bytes=4096)
    lines = "".join(f"line {i:06d}\n" for i in range(5000))
    append(log, lines)
    blocks = []
    while data := follower.poll():
        assert len(data) <= 4096 + len("line 000000\n")  # a chunk plus the line it cut
        blocks.append(data)
    assert b"".join(blocks) == lines.encode()


def test_missing_file_is_waited_for_cheaply(tmp_path: Path) -> None:
    follower = LogFollower(tmp_path / "never.log", None, min_wait=0.05, max_wait=0.2)

    async def follow_for(seconds: float) -> list[bytes]:
        got: list[bytes] = []

        async def consume() -> None:
            async for block in follower.blocks():
                got.append(block)

        task = asyncio.create_task(consume())
        await asyncio.sleep(seconds)
        task.cancel()
        return got

    cpu_before = time.process_time()
    got = asyncio.run(follow_for(1.5))
    cpu_used = time.process_time() - cpu_before
    assert got == []
    # a busy loop would burn ~1.5 s of CPU here; waiting with backoff burns almost none
    assert cpu_used < 0.5, f"waiting for a missing file used {cpu_used:.2f} s of CPU in 1.5 s"


def test_blocks_delivers_lines_written_later(tmp_path: Path) -> None:
    log = tmp_path / "debug.log"
    follower = LogFollower(log, tmp_path / "state.json", min_wait=0.02, max_wait=0.05)

    async def scenario() -> bytes:
        iterator = follower.blocks()
        waiter = asyncio.ensure_future(iterator.__anext__())
        await asyncio.sleep(0.1)
        log.write_text("late line\n")
        return await asyncio.wait_for(waiter, timeout=10)

    assert asyncio.run(scenario()) == b"late line\n"


def test_two_rotations_while_down_read_every_rotated_file_in_order(tmp_path: Path) -> None:
    log, state = tmp_path / "debug.log", tmp_path / "state.json"
    log.write_text("")
    first = started(log, state)
    append(log, "1\n")
    assert drain(first) == b"1\n"
    first.close()
    append(log, "2\n")
    os.rename(log, tmp_path / "debug.log.1")          # chia rotates ...
    log.write_text("3\n")
    os.rename(tmp_path / "debug.log.1", tmp_path / "debug.log.2")
    os.rename(log, tmp_path / "debug.log.1")          # ... and rotates again
    log.write_text("4\n")
    second = LogFollower(log, state)
    assert drain(second) == b"2\n3\n4\n"
    second.close()
