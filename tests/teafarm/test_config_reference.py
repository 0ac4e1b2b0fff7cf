"""docs/configuration.md is the config model, generated (teafarm/config_reference.py): it fails
here when a key was added, removed or re-described without regenerating the page."""
from __future__ import annotations

from dataclasses import dataclass

from teafarm.config_reference import comments, reference
from teafarm.typed_config import setting
from tests.helpers.paths import REPO

PAGE = REPO / "docs" / "configuration.md"
REGENERATE = "docs/configuration.md is stale: run `.venv/bin/python -m teafarm.config_reference > docs/configuration.md`"


def test_the_page_is_the_model():
    assert PAGE.read_text(encoding="utf-8") == reference(), REGENERATE


def test_every_key_has_its_type_default_and_description():
    page = reference()
    assert "| `listen` | text | `127.0.0.1:9916` | \"\" = off;" in page           # bot.health, from its field's comment
    assert "| `data_dir` | path | `~/.local/share/teafarm` |" in page              # the same on every machine
    assert "## bot.alerts.rules.<name>" in page and "## bot.discord.alert_channels[]" in page
    rows = [line for line in page.splitlines() if line.startswith("| `")]
    assert len(rows) > 100 and all(not line.endswith("|  |") for line in rows), "a key without a description"


@dataclass
class _Example:
    # one comment above
    # on two lines
    first: int = setting(1)    # and one beside
    second: str = "x"          # beside, going on
                               # on the next line
    # for both below
    third: int = 3
    fourth: int = 4


def test_descriptions_are_the_comments_beside_and_above_each_field():
    assert comments(_Example) == {"first": "one comment above on two lines and one beside",
                                  "second": "beside, going on on the next line",
                                  "third": "for both below", "fourth": "see `third`"}
