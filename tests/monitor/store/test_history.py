"""A store started on a new, empty database where one with events was before says that the history
was lost, once per start; a first start and a database that still holds its events say nothing."""
from __future__ import annotations

import logging

from monitor.store.history import marker_path
from monitor.store.store import DatabaseLost, Store
from tests.helpers.backbone import event

LOST = "history is lost"


def _open(path, caplog) -> tuple[Store, list[str]]:
    caplog.clear()
    with caplog.at_level(logging.INFO, logger="monitor.store.store"):
        store = Store(path)
    return store, [r.getMessage() for r in caplog.records if LOST in r.getMessage()]


def test_a_new_empty_database_where_one_with_events_was_says_the_history_is_lost(tmp_path, caplog):
    database = tmp_path / "teafarm.db"
    store, said = _open(database, caplog)
    assert said == []                                   # a first start
    store.apply("m1", [event("disk", id="/", mountpoint="/")])
    store.close()
    assert marker_path(database).stat().st_mode & 0o077 == 0

    store, said = _open(database, caplog)
    assert said == []                                   # the same database, its events still there
    store.close()

    for leftover in (database, database.with_name(database.name + "-wal"), database.with_name(database.name + "-shm")):
        leftover.unlink(missing_ok=True)
    store, said = _open(database, caplog)
    store.close()
    assert len(said) == 1 and f"the farm database {database} is new and empty" in said[0], said


def test_a_database_deleted_under_the_store_refuses_each_commit_after(tmp_path):
    database = tmp_path / "teafarm.db"
    store = Store(database)
    try:
        database.unlink()
        for _ in range(2):
            try:
                store.apply("m1", [event("disk", id="/", mountpoint="/")])
            except DatabaseLost as exc:
                assert str(exc) == f"the farm database {database} was deleted while the server was using it"
            else:
                raise AssertionError("a commit into a deleted database was not refused")
    finally:
        store.close()
