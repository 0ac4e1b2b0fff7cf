"""A batch the server could not store is never skipped: the batches a client had in flight behind it
are not stored either, since the server counts batches per outbox and storing batch 2 would
acknowledge batch 1 too. Found by the restart matrix: a store writer killed over and over failed one
batch, the next one was stored, and the proofs of the first were lost."""
from __future__ import annotations

import sqlite3
from contextlib import closing

from monitor.certs import ensure_client_cert
from tests.helpers.backbone import event, query, stream_events


def test_the_batches_behind_a_refused_one_wait_for_it(farm, server):
    pair = ensure_client_cert(farm.data_dir, farm.data_dir / "certs" / "m1.crt", farm.data_dir / "certs" / "m1.key", "m1")
    assert stream_events(farm.port, pair, farm.ca, [[event("disk", id="/first", mountpoint="/first")]],
                         outbox_id="setup")[-1].WhichOneof("kind") == "ack"         # creates the tables
    with closing(sqlite3.connect(farm.database)) as conn:
        conn.execute("CREATE TRIGGER refuse BEFORE INSERT ON disk_events WHEN NEW.id = '/bad' "
                     "BEGIN SELECT RAISE(ABORT, 'disk on fire'); END")
        conn.commit()
    batches = [[event("disk", id="/bad", mountpoint="/bad")], [event("disk", id="/good", mountpoint="/good")]]
    replies = stream_events(farm.port, pair, farm.ca, batches, outbox_id="outbox-1")
    assert [r.WhichOneof("kind") for r in replies] == ["welcome", "refusal"]
    assert query(farm.database, "SELECT id FROM disk_events WHERE machine = 'm1' AND id != '/first'") == []
    with closing(sqlite3.connect(farm.database)) as conn:
        conn.execute("DROP TRIGGER refuse")
        conn.commit()
    replies = stream_events(farm.port, pair, farm.ca, batches, outbox_id="outbox-1")     # the client sends both again
    assert replies[0].welcome.last_batch_id == 0
    assert [r.WhichOneof("kind") for r in replies[1:]] == ["ack", "ack"]
    assert query(farm.database, "SELECT id FROM disk_events WHERE machine = 'm1' ORDER BY seq") == [
        ("/first",), ("/bad",), ("/good",)]
