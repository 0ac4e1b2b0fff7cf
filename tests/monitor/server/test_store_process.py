"""The store's writer process: replaced when it dies, gone when its server dies, its log in the server's."""
from __future__ import annotations

import os
import signal
import socket
import sqlite3
import subprocess
from contextlib import closing
from dataclasses import replace

import psutil

from monitor.certs import ensure_client_cert
from monitor.store import schema
from protocol import events_pb2
from tests.helpers.backbone import TEAFARM, event, query, stream_events
from tests.helpers.waiting import wait_until


def _writer_of(server) -> psutil.Process:
    """The server's store writer (multiprocessing also starts a resource tracker beside it)."""
    children = psutil.Process(server.proc.pid).children()
    writers = [c for c in children if "spawn_main" in " ".join(c.cmdline())]
    assert len(writers) == 1, [c.cmdline() for c in children]
    return writers[0]


def _send(farm, batch_events, outbox_id):
    pair = ensure_client_cert(farm.data_dir, farm.data_dir / "certs" / "m1.crt", farm.data_dir / "certs" / "m1.key", "m1")
    return stream_events(farm.port, pair, farm.ca, [batch_events], outbox_id=outbox_id)


def test_a_killed_writer_is_replaced_and_the_retried_batch_is_stored_once(farm, server):
    replies = _send(farm, [event("disk", id="/a", mountpoint="/a")], "outbox-1")
    assert replies[-1].WhichOneof("kind") == "ack"
    old_writer = _writer_of(server)
    old_writer.kill()   # a zombie until the server reaps it: that is the server's next call
    # the first session after the kill may be refused, at its hello or its batch (the client keeps
    # the batch and sends it again); the server starts a new writer and the batch goes in once
    replies = []

    def acknowledged() -> bool:
        replies.extend(_send(farm, [event("disk", id="/b", mountpoint="/b")], "outbox-2"))
        return replies[-1].WhichOneof("kind") == "ack"

    wait_until(acknowledged, 30, "a batch acknowledged after the writer was killed")
    refusals = [r.refusal.reason for r in replies if r.WhichOneof("kind") == "refusal"]
    assert all("\n" not in reason and "Traceback" not in reason for reason in refusals), refusals
    assert _writer_of(server).pid != old_writer.pid
    assert query(farm.database, "SELECT id FROM disk WHERE machine = 'm1' ORDER BY id") == [("/a",), ("/b",)]
    assert query(farm.database, "SELECT COUNT(*) FROM disk_events WHERE id = '/b'") == [(1,)]
    assert "store writer process exited" in server.log_text()
    assert server.proc.poll() is None


def test_the_writer_goes_when_its_server_is_killed(farm, server):
    writer = _writer_of(server)
    os.kill(server.proc.pid, signal.SIGKILL)
    server.proc.wait(10)
    writer.wait(15)   # it sees the pipe close, closes the database and exits
    assert not writer.is_running()


def test_the_writer_logs_through_the_server(farm):
    """A database made before Disk had `error`: the writer adds the column and says so in the server's log."""
    old = {name: replace(table, columns=[c for c in table.columns if c.name != "error"])
           for name, table in schema.topic_tables().items()}
    farm.data_dir.mkdir(parents=True)
    with closing(sqlite3.connect(farm.database)) as conn:
        schema.create_or_migrate(conn, old)
        conn.commit()
    server = farm.start_server()
    try:
        wait_until(lambda: "added columns" in server.log_text(), 10, "the writer's log line")
    finally:
        server.stop()
    assert "disk.error" in server.log_text()


def test_a_database_that_cannot_be_opened_is_one_line_and_exit_2(farm):
    """The writer's failure to open it reaches the user as a config error, not a traceback."""
    # a path the config check refuses (below a file) never gets this far: a file that is no database does
    blocker = farm.folder / "not-a-database.db"
    blocker.write_text("a text file where the database should be " * 10)
    farm.config.write_text(farm.config.read_text().replace("server:\n", f"server:\n  database: {blocker}\n", 1))
    result = subprocess.run(TEAFARM + ["server", "--config", str(farm.config)], capture_output=True, text=True, timeout=60)
    assert result.returncode == 2, result.stderr
    assert "Traceback" not in result.stderr
    assert f"teafarm: error: server.database: cannot open the database {blocker}" in result.stderr


def test_a_store_failure_at_hello_is_a_one_line_refusal_and_the_server_goes_on(farm, server):
    _send(farm, [event("cpu", cores=1)], "outbox-1")      # creates the tables
    with closing(sqlite3.connect(farm.database)) as conn:
        conn.execute("CREATE TRIGGER refuse BEFORE UPDATE ON machines BEGIN SELECT RAISE(ABORT, 'disk on fire'); END")
        conn.commit()
    replies = _send(farm, [event("cpu", events_pb2.UPDATE, cores=2)], "outbox-1")
    assert [r.WhichOneof("kind") for r in replies] == ["refusal"]
    assert replies[0].refusal.reason == "the server cannot store anything right now (see the server log)"
    assert "disk on fire" in server.log_text()
    with closing(sqlite3.connect(farm.database)) as conn:
        conn.execute("DROP TRIGGER refuse")
        conn.commit()
    assert _send(farm, [event("cpu", events_pb2.UPDATE, cores=2)], "outbox-2")[-1].WhichOneof("kind") == "ack"
    assert query(farm.database, "SELECT cores FROM cpu WHERE machine = 'm1'") == [(2,)]


def test_a_port_in_use_is_one_line_and_the_writer_does_not_hold_the_exit(farm):
    """The writer is started before the port is bound; a failed bind must still exit at once."""
    with closing(socket.socket()) as busy:
        busy.bind(("127.0.0.1", farm.port))
        busy.listen()
        result = subprocess.run(TEAFARM + ["server", "--config", str(farm.config)], capture_output=True, text=True,
                                timeout=60)
    assert result.returncode == 2, result.stderr
    assert result.stderr.strip().splitlines()[-1] == \
        f"teafarm: error: server.listen: cannot listen on 127.0.0.1:{farm.port} (in use or not a local address)"
