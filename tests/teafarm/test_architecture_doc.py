"""docs/architecture.md stays true: every file it names exists, and it keeps the paths and recipes
a newcomer reads it for."""
from __future__ import annotations

import glob
import re

from tests.helpers.paths import REPO

DOC = REPO / "docs" / "architecture.md"
NAMED_FILE = re.compile(r"`([\w.*-]+/[\w./*-]+\.(?:py|proto|md|yml|json|log))`")   # a path with a folder


def named_files(text: str) -> list[str]:
    return sorted(set(NAMED_FILE.findall(text)))


def missing(text: str) -> list[str]:
    return [name for name in named_files(text) if not glob.glob(str(REPO / name))]


def test_every_file_the_page_names_exists():
    assert len(named_files(DOC.read_text(encoding="utf-8"))) > 50, "the page names the files of its paths"
    assert missing(DOC.read_text(encoding="utf-8")) == []


def test_a_file_that_is_gone_is_noticed():
    assert missing("see `bot/alerts/engine.py` and `bot/alerts/gone_away.py`") == ["bot/alerts/gone_away.py"]


def test_the_page_has_the_alert_path_and_the_recipes():
    text = DOC.read_text(encoding="utf-8")
    for heading in ("## Path 1: a harvester disconnects", "## Path 2: `/farm`", "**Add a topic**", "**Add an alert rule.**",
                    "**Add a chat command.**", "**Add a chat transport.**", "**Add a plotter log format.**",
                    "**Add a chia service**"):
        assert heading in text, heading
