"""The farm database deleted or replaced while `teafarm server` or `teafarm up` runs, with a real
client connected: the server acknowledges nothing more, says so in one line and exits 1; the client
keeps what was not acknowledged and sends it to the next start, which says that the history was
lost; the client then resyncs its state through GetMachineState."""
from __future__ import annotations

import os
import sqlite3
import time
from contextlib import closing
from dataclasses import dataclass
from pathlib import Path

import pytest

from copier.status import CopierStatus, JobStatus, write_status
from monitor.server.store_process import StoreLost, StoreProcess
from tests.helpers.backbone import TeafarmProcess, query, write_config
from tests.helpers.farm import Farm
from tests.helpers.ports import free_port
from tests.helpers.waiting import wait_until

LOST = "while the server was using it: stopping, nothing more is acknowledged"
HISTORY_LOST = "is new and empty, but one with events"
RESYNCED = "differs from the local base: resyncing"


@dataclass
class Running:
    farm: Farm
    server: TeafarmProcess
    client: TeafarmProcess


@pytest.fixture(scope="module")
def running(tmp_path_factory):
    """One farm, server and client for both losses (the second starts from the first's restart)."""
    farm = Farm.create(tmp_path_factory.mktemp("lost-database"))
    running = Running(farm, farm.start_server(), farm.start_client())
    wait_until(lambda: _has_root_disk(farm.database, "testbox"), 60, "the client's first sync")
    yield running
    running.client.stop()
    running.server.stop()


@pytest.mark.parametrize("how", ["deleted", "replaced"])
def test_a_lost_database_stops_the_server_and_its_client_resends_to_the_next_start(running, how):
    farm, job = running.farm, f"job-after-{how}"
    lost_at = time.time()
    _lose(farm.database, how)
    _copier_reports(farm.data_dir, job)          # a change the client sends after the loss
    assert running.server.proc.wait(60) == 1
    text = running.server.log_text()
    said = [line for line in text.splitlines() if LOST in line]
    assert len(said) == 1 and f"{farm.database} was {_what(how)}" in said[0], text
    assert "Traceback" not in text
    if how == "replaced":   # the file put there is untouched (the old WAL was not replayed into it)
        assert query(farm.database, "SELECT what FROM restored") == [("backup",)]
    # unacknowledged, the change waits in the client's outbox while no server runs
    wait_until(lambda: _outbox_holds(farm.data_dir, job), 30, f"{job} in the client's outbox")

    restarted_at = time.time()
    resyncs = running.client.log_text().count(RESYNCED)
    running.server = farm.start_server(f"server-after-{how}.log")
    assert running.server.log_text().count(HISTORY_LOST) == 1, running.server.log_text()
    stored = wait_until(lambda: query(farm.database, "SELECT client_time FROM copy_job_events WHERE id = ?", (job,)),
                        60, f"{job} in the new database")
    # sent again from the outbox with its own time, once (not made again by the resync)
    assert len(stored) == 1 and lost_at < stored[0][0] < restarted_at, stored
    wait_until(lambda: running.client.log_text().count(RESYNCED) > resyncs, 60, "the client's resync")
    wait_until(lambda: _has_root_disk(farm.database, "testbox"), 60, "the client's state in the new database")


def test_up_stops_with_the_one_line_and_its_client_resyncs_after_the_restart(tmp_path):
    port = free_port()
    config = write_config(tmp_path, port, client={"machine_name": "upbox"},
                          bot={"alerts": {"startup_grace": 0.0, "daily_summary": ""}})
    data, database = tmp_path / "data", tmp_path / "data" / "teafarm.db"
    up = _start_up(config, tmp_path / "up.log")
    try:
        wait_until(lambda: _has_root_disk(database, "upbox"), 60, "the local client's first sync")
        _lose(database, "deleted")
        _copier_reports(data, "job-after-deleted")
        assert up.proc.wait(60) == 1
    finally:
        up.stop()
    text = up.log_text()
    said = [line for line in text.splitlines() if LOST in line]
    assert len(said) == 1 and f"{database} was deleted" in said[0], text
    assert "Traceback" not in text

    up = _start_up(config, tmp_path / "up-again.log")
    try:
        assert up.log_text().count(HISTORY_LOST) == 1, up.log_text()
        wait_until(lambda: up.log_text().count(RESYNCED), 60, "the client's resync")
        wait_until(lambda: _has_root_disk(database, "upbox"), 60, "the client's state in the new database")
        wait_until(lambda: query(database, "SELECT 1 FROM copy_job WHERE id = 'job-after-deleted'"), 60, "the job")
        assert query(database, "SELECT COUNT(*) FROM copy_job_events WHERE id = 'job-after-deleted'") == [(1,)]
    finally:
        assert up.stop() == 0, up.log_text()
    assert "Traceback" not in up.log_text()


def _lose(database: Path, how: str) -> None:
    if how == "deleted":
        database.unlink()
        return
    backup = database.with_name("restored-backup.db")   # a database someone restores over the live one
    with closing(sqlite3.connect(backup)) as conn:
        conn.execute("CREATE TABLE restored (what TEXT)")
        conn.execute("INSERT INTO restored VALUES ('backup')")
        conn.commit()
    os.replace(backup, database)


def _what(how: str) -> str:
    return "deleted" if how == "deleted" else "replaced by another file"


def _copier_reports(data_dir: Path, job: str) -> None:
    write_status(data_dir / "copier-status.json", CopierStatus(
        written=time.time(), jobs=[JobStatus(job, f"{job}.plot", f"/plots/{job}.plot", "/farm/d1", "done")]))


def _outbox_holds(data_dir: Path, text: str) -> bool:
    return bool(query(data_dir / "client-outbox.db", "SELECT 1 FROM chunks WHERE instr(events, CAST(? AS BLOB))", (text,)))


def _has_root_disk(database: Path, machine: str) -> bool:
    return bool(database.exists() and query(database, "SELECT 1 FROM disk WHERE machine = ? AND mountpoint = '/'", (machine,)))


def _start_up(config: Path, log: Path) -> TeafarmProcess:
    up = TeafarmProcess(["up", "--config", str(config)], log)
    try:
        wait_until(lambda: "teafarm bot running" in up.log_text() or up.proc.poll() is not None, 60, "up's start")
        assert up.proc.poll() is None, up.log_text()
    except BaseException:
        up.stop()
        raise
    return up


def test_a_writer_that_died_is_not_replaced_by_one_on_a_new_database(tmp_path):
    """Deleted while no writer watched it (the writer was killed first): a new writer would quietly
    start an empty database; the store is lost instead."""
    database, said = tmp_path / "teafarm.db", []
    store = StoreProcess(database, on_lost=said.append)
    try:
        store._process.kill()
        store._process.join()
        database.unlink()
        store.machine_seen("m1")                 # records nothing, says nothing itself
        with pytest.raises(StoreLost, match="was deleted while the server was using it"):
            store.apply_many([])
    finally:
        store.close()
    assert said == [f"the farm database {database} was deleted while the server was using it"]
    assert not database.exists()
