"""Replay finished log files (a rotated set in chia's order): what `teafarm chia parse-log` prints.

A summary is made of independent pieces: every file, and every segment of a big file (the lines
that begin in a byte range), is summarised on its own and the summaries merge in file order. Where
there are several cores the pieces are shared out in contiguous runs to forked children (Linux,
macOS; elsewhere one process reads them all): a 50 MB log on two cores takes about half the time.
`--json` reads in order, in one process.
"""
from __future__ import annotations

import os
import re
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from typing import TextIO

from monitor.client.chia.logs.forked import Forked
from monitor.client.chia.logs.parser import ChiaLogParser
from monitor.client.chia.logs.summary import LogSummary

BLOCK_BYTES = 512 << 10        # the parser scans a block once per anchor: one that stays in the CPU's cache
MIN_SEGMENT_BYTES = 8 << 20     # smaller pieces cost more in forking and merging than they save
_ROTATED = re.compile(r"^(.*)\.(\d+)$")

Segment = tuple[Path, int, int | None]     # the lines that begin in [start, end) of a file (end None: to its end)


def rotation_order(paths: list[Path]) -> list[Path]:
    """Oldest first: debug.log.7 .. debug.log.1, then debug.log (per base name, given in any order)."""
    def key(path: Path) -> tuple[str, int, int]:
        match = _ROTATED.match(str(path))
        if match:
            return match[1], 0, -int(match[2])
        return str(path), 1, 0
    return sorted(paths, key=key)


def read_blocks(path: Path, block_bytes: int = BLOCK_BYTES, start: int = 0, end: int | None = None) -> Iterator[bytes]:
    """Blocks of whole lines, those that begin in [start, end) (the whole file by default); a last
    line without a newline comes with the final block."""
    with path.open("rb") as file:
        if start:
            file.seek(start - 1)
            file.readline()             # the line holding byte start - 1 belongs to the segment before
        offset = file.tell()            # where `carry` begins in the file
        carry = b""
        while end is None or offset < end:
            chunk = file.read(block_bytes)
            if not chunk:
                break
            data = carry + chunk
            if end is not None and offset + len(data) >= end:
                stop = data.find(b"\n", end - 1 - offset)   # the end of the line holding byte end - 1
                if stop != -1:
                    yield data[:stop + 1]
                    return
                carry = data
                continue
            cut = data.rfind(b"\n") + 1
            if cut == 0:
                carry = data
                continue
            carry = data[cut:]
            offset += cut
            yield data[:cut]
        if carry:
            yield carry


def segments(paths: list[Path], workers: int) -> list[list[Segment]]:
    """The files in order, big ones cut into pieces, shared out to `workers` in contiguous runs of
    about the same number of bytes."""
    sizes = [path.stat().st_size for path in paths]
    total = sum(sizes)
    share = max(MIN_SEGMENT_BYTES, -(-total // max(workers, 1)))
    runs: list[list[Segment]] = [[] for _ in range(max(1, min(workers, -(-total // share))))]
    done = 0
    for path, size in zip(paths, sizes):
        count = max(1, -(-size // share))
        for i in range(count):
            start, end = size * i // count, size * (i + 1) // count
            middle = done + (start + end) // 2
            runs[min(len(runs) - 1, middle * len(runs) // max(total, 1))].append(
                (path, start, end if i + 1 < count else None))
        done += size
    return [run for run in runs if run]


def summarize_segment(segment: Segment) -> LogSummary:
    path, start, end = segment
    parser = ChiaLogParser()
    summary = LogSummary()
    for block in read_blocks(path, start=start, end=end):
        summary.lines += count_lines(block)
        summary.add(parser.parse(block))
    summary.near_misses = parser.near_misses
    return summary


def summarize_run(run: list[Segment]) -> list[LogSummary]:
    return [summarize_segment(segment) for segment in run]


def summarize(paths: list[Path]) -> LogSummary:
    """The summary of files given in rotation order."""
    runs = segments(paths, (os.cpu_count() or 1) if hasattr(os, "fork") else 1)
    children = [Forked(summarize_run, run) for run in runs[1:]]       # the others first, then our own run
    try:
        summaries = summarize_run(runs[0])
        for child in children:
            summaries += child.result()
    except BaseException:
        for child in children:
            child.cancel()
        raise
    total = LogSummary()
    for later in summaries:
        total.merge(later)
    return total


def print_events(paths: list[Path], out: TextIO) -> LogSummary:
    """One JSON object per recognised line, in order; the summary comes along."""
    import json

    parser = ChiaLogParser()
    summary = LogSummary()
    for path in paths:
        for block in read_blocks(path):
            summary.lines += count_lines(block)
            events = parser.parse(block)
            summary.add(events)
            for event in events:
                out.write(json.dumps({"time": datetime.fromtimestamp(event.time).isoformat(timespec="milliseconds"),
                                      "service": event.service, "kind": event.kind, **event.fields()}) + "\n")
    summary.near_misses = parser.near_misses
    return summary


def replay(files: list[Path], out: TextIO, as_json: bool = False, summary: bool = True) -> None:
    """`teafarm chia parse-log`: events as JSON lines and/or the summary, files in rotation order."""
    paths = rotation_order(list(files))
    total = print_events(paths, out) if as_json else summarize(paths)
    if summary:
        out.write(total.render() + "\n")


def count_lines(block: bytes) -> int:
    return block.count(b"\n") + (not block.endswith(b"\n"))
