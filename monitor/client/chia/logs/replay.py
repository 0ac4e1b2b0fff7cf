"""Read finished log files (a rotated set in chia's order) as blocks of complete lines."""
from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

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
