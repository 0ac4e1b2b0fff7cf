"""The generic protobuf -> sqlite store on real sqlite files."""
from __future__ import annotations

import sqlite3
import time
from dataclasses import replace

from monitor.store import schema
from monitor.store.reader import StoreReader
from monitor.store.store import Store
from protocol import events_pb2
from tests.helpers.backbone import event


def test_exact_types_enums_nested_and_repeated_values_round_trip(tmp_path):
    store = Store(tmp_path / "t.db")
    store.apply("123", [
        event("disk", id="007", mountpoint="007", device="0x10", total_bytes=2**63 - 1, percent=float("inf")),
        event("chia_service", id="farmer", state=3),
        event("harvester_identity", id="ab", plot_directories=["/mnt/a", "/mnt/b"]),
    ])
    reader = StoreReader(tmp_path / "t.db")
    disk, = reader.state("disk")
    assert (disk["machine"], disk["id"], disk["mountpoint"], disk["device"]) == ("123", "007", "007", "0x10")
    assert tuple(reader.query("SELECT typeof(machine), typeof(mountpoint) FROM disk")[0]) == ("text", "text")
    assert reader.state("chia_service")[0]["state"] == "RUNNING"
    assert reader.state("harvester_identity")[0]["plot_directories"] == '["/mnt/a", "/mnt/b"]'
    snapshot, = reader.machine_snapshot("123")
    assert (snapshot.disks[0].total_bytes, snapshot.disks[0].percent) == (2**63 - 1, float("inf"))
    assert snapshot.chia_services[0].state == 3
    assert list(snapshot.harvester_identities[0].plot_directories) == ["/mnt/a", "/mnt/b"]


def test_a_value_sqlite_cannot_keep_exactly_refuses_its_event_and_the_rest_is_stored(tmp_path):
    """sqlite integers are signed 64-bit and it stores NaN as NULL: such an event is refused, never
    stored changed (2^64-1 used to come back as -1), and the machine's refused count grows."""
    store = Store(tmp_path / "t.db")
    store.machine_connected("m", "test", 0.0, "here")
    result = store.apply("m", [
        event("disk", id="/huge", total_bytes=2**64 - 1),
        event("disk", id="/ok", total_bytes=2**63 - 1),
        event("disk", id="/nan", percent=float("nan")),
        event("disk", id="/when", timestamp=float("nan")),
    ], delivery=("outbox", 1))
    assert [index for index, _ in result.refused] == [0, 2, 3]
    assert "disk '/huge': total_bytes = 18446744073709551615 is above 9223372036854775807" in result.refused[0][1]
    assert "percent is NaN" in result.refused[1][1] and "not a finite number" in result.refused[2][1]
    assert store.apply("m", [event("disk", id="/huge", total_bytes=2**64 - 1)], delivery=("outbox", 1)).duplicate
    reader = StoreReader(tmp_path / "t.db")
    assert [(d["id"], d["total_bytes"]) for d in reader.state("disk")] == [("/ok", 2**63 - 1)]
    assert [e.id for e in reader.events_after(0)] == ["/ok"]
    assert reader.machines()[0]["refused_events"] == 3      # the resent batch was not counted twice


def test_events_get_increasing_sequence_numbers_server_time_and_corrected_time(tmp_path):
    store = Store(tmp_path / "t.db")
    store.apply("a", [event("cpu", timestamp=1000.0, cores=4)], clock_offset=5.0, server_time=2000.0)
    store.apply("b", [event("proof", timestamp=1001.0, harvester_node_id="ab"), event("ram", timestamp=1002.0)])
    store.close()
    reopened = Store(tmp_path / "t.db")  # numbering continues after a restart
    reopened.apply("a", [event("cpu", events_pb2.UPDATE, timestamp=1003.0, cores=8)])
    reader = StoreReader(tmp_path / "t.db")
    stored = reader.events_after(0)
    assert [(e.topic, e.seq) for e in stored] == [("cpu", 1), ("proof", 2), ("ram", 3), ("cpu", 4)]
    assert (stored[0].time, stored[0].server_time) == (1005.0, 2000.0)
    assert reader.previous(stored[3])["cores"] == 4


def test_a_new_proto_field_becomes_a_column_without_losing_data(tmp_path):
    """Two schema versions: a database made before Disk had `error` and `network`."""
    path = tmp_path / "t.db"
    current = schema.topic_tables()
    old = {name: replace(table, columns=[c for c in table.columns if c.name not in ("error", "network")])
           for name, table in current.items()}
    conn = sqlite3.connect(path)
    schema.create_or_migrate(conn, old)
    conn.execute("INSERT INTO disk (machine, id, seq, time, server_time, mountpoint, free_bytes) VALUES ('m', '/', 1, 1, 1, '/', 42)")
    conn.execute("INSERT INTO disk_events (seq, machine, id, event_type, time, mountpoint) VALUES (1, 'm', '/', 'ADD', 1, '/')")
    conn.commit()
    conn.close()

    store = Store(path)
    store.apply("m", [event("disk", events_pb2.UPDATE, id="/", mountpoint="/", free_bytes=41, error="I/O error")])
    reader = StoreReader(path)
    assert [(r["free_bytes"], r["error"]) for r in reader.state("disk")] == [(41, "I/O error")]
    assert [(e.seq, e.values["mountpoint"]) for e in reader.events_after(0)] == [(1, "/"), (2, "/")]


def test_a_failed_request_leaves_nothing_and_its_sequence_numbers_are_reused(tmp_path):
    store = Store(tmp_path / "t.db")
    store.apply("m", [event("cpu")])
    store.conn.execute("CREATE TRIGGER refuse BEFORE INSERT ON ram_events BEGIN SELECT RAISE(ABORT, 'disk on fire'); END")
    try:
        store.apply("m", [event("disk", id="/x"), event("ram")])
    except sqlite3.IntegrityError:
        pass
    else:
        raise AssertionError("the trigger should have failed the request")
    store.conn.execute("DROP TRIGGER refuse")
    result = store.apply("m", [event("disk", id="/y")])
    assert result.last_seq == 2
    assert [tuple(r) for r in StoreReader(tmp_path / "t.db").query("SELECT id FROM disk")] == [("/y",)]


def test_retention_prunes_old_events_per_topic(tmp_path):
    store = Store(tmp_path / "t.db", {"default": 30, "cpu": 7})
    now = time.time()
    store.apply("m", [event("cpu", timestamp=now - 8 * 86400), event("cpu", events_pb2.UPDATE, timestamp=now),
                      event("ram", timestamp=now - 8 * 86400), event("ram", events_pb2.UPDATE, timestamp=now - 31 * 86400)])
    assert store.prune(now) == 2
    reader = StoreReader(tmp_path / "t.db")
    assert [(e.topic, e.event_type) for e in reader.events_after(0)] == [("cpu", "UPDATE"), ("ram", "ADD")]
    assert len(reader.state("cpu")) == 1  # state is never pruned


def test_sequence_numbers_never_go_back_when_retention_deleted_every_event(tmp_path):
    # the alert engine's cursor follows seq: numbers given again after a restart would be skipped by it
    now = time.time()
    store = Store(tmp_path / "t.db", {"default": 1})
    assert store.apply("m", [event("cpu", timestamp=now - 3 * 86400), event("ram", timestamp=now - 2 * 86400)]).last_seq == 2
    assert store.prune(now) == 2
    store.close()
    assert Store(tmp_path / "t.db").apply("m", [event("cpu", events_pb2.UPDATE, timestamp=now)]).last_seq == 3


def test_wal_mode(tmp_path):
    # /sql's guard (read-only, one SELECT, time and memory limits) is bot/commands/sql_sandbox.py's, tested there
    Store(tmp_path / "t.db").apply("m", [event("disk", id="/")])
    assert StoreReader(tmp_path / "t.db").query("PRAGMA journal_mode")[0][0] == "wal"


def test_previous_is_the_entitys_last_event_in_the_same_batch_or_before_it(tmp_path):
    store = Store(tmp_path / "t.db")
    store.apply("m", [event("disk", id="/a", free_bytes=1), event("disk", id="/b", free_bytes=10),
                      event("disk", events_pb2.UPDATE, id="/a", free_bytes=2)])          # seq 1-3
    store.apply("m", [event("disk", events_pb2.UPDATE, id="/a", free_bytes=3),            # 4: before it, seq 3
                      event("disk", events_pb2.DELETE, id="/b"),                          # 5: before it, seq 2
                      event("disk", id="/b", free_bytes=20),                              # 6: a new /b
                      event("disk", events_pb2.UPDATE, id="/b", free_bytes=21)])          # 7: before it, seq 6
    store.apply("n", [event("disk", events_pb2.UPDATE, id="/a", free_bytes=99)])          # 8: another machine's /a
    reader = StoreReader(tmp_path / "t.db")
    stored = {e.seq: e for e in reader.events_after(0)}
    before = {seq: (reader.previous(e) or {}).get("free_bytes") for seq, e in stored.items()}
    assert before == {1: None, 2: None, 3: 1, 4: 2, 5: 10, 6: None, 7: 20, 8: None}
    assert reader.query("SELECT COUNT(*) FROM sqlite_master WHERE name = 'disk_events_key'")[0][0] == 0


def test_an_older_database_keeps_finding_previous_states_of_its_old_rows(tmp_path):
    """Made before event rows carried prev_seq: the column is added, old rows use their index."""
    path = tmp_path / "t.db"
    conn = sqlite3.connect(path)
    conn.execute("CREATE TABLE disk_events (seq INTEGER PRIMARY KEY, machine TEXT NOT NULL, id TEXT NOT NULL, "
                 "event_type TEXT NOT NULL, client_time REAL, server_time REAL, time REAL, free_bytes INTEGER)")
    conn.execute('CREATE INDEX "disk_events_key" ON "disk_events" (machine, id, seq)')
    conn.execute("CREATE TABLE disk (machine TEXT NOT NULL, id TEXT NOT NULL, seq INTEGER, time REAL, "
                 "server_time REAL, free_bytes INTEGER, PRIMARY KEY (machine, id))")
    conn.executemany("INSERT INTO disk_events (seq, machine, id, event_type, time, free_bytes) VALUES (?, 'm', '/', ?, 1, ?)",
                     [(1, "ADD", 5), (2, "UPDATE", 6)])
    conn.execute("INSERT INTO disk (machine, id, seq, time, free_bytes) VALUES ('m', '/', 2, 1, 6)")
    conn.commit()
    conn.close()
    store = Store(path)
    store.apply("m", [event("disk", events_pb2.UPDATE, id="/", free_bytes=7)])
    reader = StoreReader(path)
    old_update, new_update = [e for e in reader.events_after(0) if e.event_type == "UPDATE"]
    assert (old_update.prev_seq, new_update.prev_seq) == (None, 2)
    assert reader.previous(old_update)["free_bytes"] == 5
    assert reader.previous(new_update)["free_bytes"] == 6
