"""Read finished log files (a rotated set in chia's order) as blocks of complete lines, and
summarise one file."""
from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

from monitor.client.chia.logs.parser import ChiaLogParser
from monitor.client.chia.logs.summary import LogSummary

BLOCK_BYTES = 8 << 20
_ROTATED = re.compile(r"^(.*)\.(\d+)$")


def rotation_order(paths: list[Path]) -> list[Path]:
    """Oldest first: debug.log.7 .. debug.log.1, then debug.log (per base name, given in any order)."""
    def key(path: Path) -> tuple[str, int, int]:
        match = _ROTATED.match(str(path))
        if match:
            return match[1], 0, -int(match[2])
        return str(path), 1, 0
    return sorted(paths, key=key)


def read_blocks(path: Path, block_bytes: int = BLOCK_BYTES) -> Iterator[bytes]:
    """Blocks of whole lines; a last line without a newline comes with the final block."""
    carry = b""
    with path.open("rb") as file:
        while chunk := file.read(block_bytes):
            data = carry + chunk
            cut = data.rfind(b"\n") + 1
            if cut == 0:
                carry = data
                continue
            carry = data[cut:]
            yield data[:cut]
    if carry:
        yield carry


def summarize_file(path: Path) -> LogSummary:
    """One file's summary (run in a worker process for each file of a rotated set)."""
    parser = ChiaLogParser()
    summary = LogSummary()
    for block in read_blocks(path):
        summary.lines += count_lines(block)
        for event in parser.parse(block):
            summary.add(event)
    summary.near_misses = parser.near_misses
    return summary


def count_lines(block: bytes) -> int:
    return block.count(b"\n") + (not block.endswith(b"\n"))
