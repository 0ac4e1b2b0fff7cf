"""Human-readable console logs and a rotating file log, levels from config."""
from __future__ import annotations

import logging
import logging.handlers
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
        file.parent.mkdir(parents=True, exist_ok=True)
        rotating = logging.handlers.RotatingFileHandler(file, maxBytes=max_bytes, backupCount=backups, encoding="utf-8")
        rotating.setFormatter(logging.Formatter(FORMAT))
        rotating.setLevel(file_level)
        root.addHandler(rotating)
        levels.append(rotating.level)
    root.setLevel(min(levels))
    # the libraries are chatty at INFO (every gateway event, every HTTP request)
    for noisy in ("discord", "httpx", "apscheduler", "aiohttp.access", "telegram.ext"):
        logging.getLogger(noisy).setLevel(max(logging.WARNING, root.level))

