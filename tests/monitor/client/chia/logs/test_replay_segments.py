"""parse-log cuts a big log into segments read in parallel (issue 14, point 12): every line belongs to
exactly one segment, and the merged summary is the one a single reader makes."""
from __future__ import annotations

import io
from pathlib import Path

import pytest

from monitor.client.chia.logs import replay as replay_module
from monitor.client.chia.logs.forked import Forked
from monitor.client.chia.logs.replay import read_blocks, replay, segments
from tests.helpers.paths import DATA

REAL = DATA / "chia" / "debug-2.7.5-excerpt.log"


def test_every_line_is_in_exactly_one_segment(tmp_path: Path) -> None:
    log = tmp_path / "debug.log"
    lines = [f"line {i} {'x' * (i % 37)}\n".encode() for i in range(500)]
    log.write_bytes(b"".join(lines) + b"a last line without a newline")
    data = log.read_bytes()
    for cuts in ([0, None], [0, 1, None], [0, 7, 8, 9, 2000, 2001, len(data) - 3, None], [0, len(data), None]):
        pieces = [b"".join(read_blocks(log, block_bytes=64, start=start, end=end))
                  for start, end in zip(cuts, cuts[1:])]
        assert b"".join(pieces) == data, cuts
        offset = 0
        for piece in pieces:                               # each begins where a line begins
            assert not piece or offset == 0 or data[offset - 1:offset] == b"\n", (cuts, offset)
            offset += len(piece)


def test_segments_share_the_files_out_in_order(tmp_path: Path) -> None:
    big, small = tmp_path / "debug.log.1", tmp_path / "debug.log"
    big.write_bytes(b"x\n" * 20_000_000)                   # 40 MB
    small.write_bytes(b"x\n" * 1000)
    runs = segments([big, small], 4)
    assert [[(path.name, start, end) for path, start, end in run] for run in runs] == [
        [("debug.log.1", 0, 10_000_000)], [("debug.log.1", 10_000_000, 20_000_000)],
        [("debug.log.1", 20_000_000, 30_000_000)], [("debug.log.1", 30_000_000, None), ("debug.log", 0, None)]]
    assert segments([big, small], 1) == [[(big, 0, None), (small, 0, None)]]


def test_a_summary_read_in_parallel_segments_is_the_one_read_in_one(tmp_path: Path, monkeypatch) -> None:
    log = tmp_path / "debug.log"
    log.write_bytes(REAL.read_bytes() * 20)               # ~1 MB of real lines, signage points and all
    single = io.StringIO()
    monkeypatch.setattr(replay_module.os, "cpu_count", lambda: 1)
    replay([log], single)
    monkeypatch.setattr(replay_module.os, "cpu_count", lambda: 3)
    monkeypatch.setattr(replay_module, "MIN_SEGMENT_BYTES", 100_000)
    assert len(segments([log], 3)) == 3
    parallel = io.StringIO()
    replay([log], parallel)                                # two forked children and this process
    assert parallel.getvalue() == single.getvalue()
    assert "lines: 6140  recognised: 1560" in single.getvalue()


def test_a_failing_worker_is_an_error_never_a_short_summary() -> None:
    assert Forked(sorted, [3, 1, 2]).result() == [1, 2, 3]
    with pytest.raises(RuntimeError, match="a forked worker failed"):
        Forked(int, "not a number").result()
