"""Pictures where a terminal shows text (the console, `teafarm ask`): each PNG of a reply is written
to a file in the temporary folder and its path printed under the text. The newest KEEP files stay."""
from __future__ import annotations

import logging
import tempfile
import time
from pathlib import Path

from bot import render
from bot.reply import Reply

log = logging.getLogger(__name__)

KEEP = 50


def folder() -> Path:
    return Path(tempfile.gettempdir()) / "teafarm-charts"


def plain_with_files(reply: Reply, where: Path | None = None) -> str:
    """The reply as plain text, with one line per picture: where it was written (or why not)."""
    lines = [render.plain(reply)]
    for image in reply.images:
        try:
            lines.append(f"{image.alt or image.name}: {_write(where or folder(), image.name, image.png)}")
        except OSError as exc:
            log.warning("picture %s not written: %s", image.name, exc)
            lines.append(f"{image.name}: not written ({exc.strerror or exc})")
    return "\n".join(lines)


def _write(where: Path, name: str, png: bytes) -> Path:
    where.mkdir(parents=True, exist_ok=True)
    path = where / f"{time.strftime('%Y%m%d-%H%M%S')}-{time.monotonic_ns() % 10**6:06d}-{name}"
    path.write_bytes(png)
    for old in sorted(where.glob("*.png"))[:-KEEP]:
        old.unlink(missing_ok=True)
    return path
