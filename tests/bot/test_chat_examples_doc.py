"""docs/chat-examples.md is what the renderer makes of an alert today (docs/make_chat_examples.py)."""
from __future__ import annotations

import importlib.util

from tests.helpers.paths import REPO


def test_the_chat_examples_page_is_current():
    spec = importlib.util.spec_from_file_location("make_chat_examples", REPO / "docs" / "make_chat_examples.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    written = (REPO / "docs" / "chat-examples.md").read_text()
    assert written == module.examples(), "run: .venv/bin/python docs/make_chat_examples.py"
