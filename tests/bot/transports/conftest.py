"""Harness for the chat transport tests: every test fails when a chat library or a transport
logged an error, because the libraries only log exceptions raised in handlers (the helpers are in
tests/helpers/chat_harness.py)."""
from __future__ import annotations

import logging

import pytest

from tests.helpers.chat_harness import WATCHED_LOGGERS, ErrorCollector


@pytest.fixture
def chat_errors():
    collector = ErrorCollector()
    loggers = [logging.getLogger(name) for name in WATCHED_LOGGERS]
    for logger in loggers:
        logger.addHandler(collector)
    yield collector
    for logger in loggers:
        logger.removeHandler(collector)
    if collector.errors:
        pytest.fail("a chat handler logged errors:\n" + "\n".join(collector.errors))
