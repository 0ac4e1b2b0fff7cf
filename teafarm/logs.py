"""Human-readable console logs and a rotating file log, levels from config."""
from __future__ import annotations

import logging
import logging.handlers
import os
import sys
from pathlib import Path

FORMAT = "%(asctime)s %(levelname)-7s %(name)s: %(message)s"


def setup_logging(console_level: str, file_level: str = "INFO", file: Path | None = None,
                  max_bytes: int = 10_000_000, backups: int = 5) -> None:
    root = logging.getLogger()
    for handler in list(root.handlers):
        root.removeHandler(handler)
    console = logging.StreamHandler(sys.stderr)
    console.setFormatter(logging.Formatter(FORMAT, "%H:%M:%S"))
    console.setLevel(console_level)
    root.addHandler(console)
    levels = [console.level]
    if file is not None:
        file.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
        rotating = PrivateRotatingFileHandler(file, maxBytes=max_bytes, backupCount=backups, encoding="utf-8")
        rotating.setFormatter(logging.Formatter(FORMAT))
        rotating.setLevel(file_level)
        root.addHandler(rotating)
        levels.append(rotating.level)
    root.setLevel(min(levels))
    # the libraries are chatty at INFO (every gateway event, every HTTP request)
    for noisy in ("discord", "httpx", "apscheduler", "aiohttp.access", "telegram.ext"):
        logging.getLogger(noisy).setLevel(max(logging.WARNING, root.level))


class PrivateRotatingFileHandler(logging.handlers.RotatingFileHandler):
    """Log files readable by their owner only (0600), whatever the umask: they name every machine,
    disk and wallet figure of the farm. Rotation renames files, so the backups keep that mode."""

    def _open(self):
        return open(self.baseFilename, self.mode, encoding=self.encoding, errors=self.errors,
                    opener=lambda path, flags: os.open(path, flags, 0o600))
