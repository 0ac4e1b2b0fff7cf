"""Tables generated from the topic registry, created and migrated at start.

State table `<topic>`: machine, id, seq (last event), time (corrected), server_time, fields.
Event table `<topic>_events`: seq (global, server-assigned), machine, id, event_type, client_time,
server_time, time (client time corrected by the measured clock offset), prev_seq (the seq of the
entity's previous event, 0 for none: how the alert engine finds the state before a change without
an index on machine and id, which would cost a random page write per event), fields.
A field added to a message becomes a column on the next start; nothing is dropped.
"""
from __future__ import annotations

import sqlite3
from dataclasses import dataclass

from monitor.store.columns import Column, RowBuilder, columns_for
from protocol.registry import TOPICS, Topic

STATE_META = [("machine", "TEXT NOT NULL"), ("id", "TEXT NOT NULL"), ("seq", "INTEGER"), ("time", "REAL"), ("server_time", "REAL")]
EVENT_META = [("seq", "INTEGER PRIMARY KEY"), ("machine", "TEXT NOT NULL"), ("id", "TEXT NOT NULL"),
              ("event_type", "TEXT NOT NULL"), ("client_time", "REAL"), ("server_time", "REAL"), ("time", "REAL"),
              ("prev_seq", "INTEGER")]   # NULL in rows stored before it existed
STATE_COLUMNS = tuple(name for name, _ in STATE_META)
EVENT_COLUMNS = tuple(name for name, _ in EVENT_META)

SUPPORT_TABLES = """
CREATE TABLE IF NOT EXISTS machines (
    machine TEXT PRIMARY KEY, first_seen REAL, last_seen REAL, connected INTEGER NOT NULL DEFAULT 0,
    connected_since REAL, teafarm_version TEXT, clock_offset REAL NOT NULL DEFAULT 0, address TEXT,
    refused_events INTEGER NOT NULL DEFAULT 0);
CREATE TABLE IF NOT EXISTS seq_floor (    -- the highest seq ever given, kept when retention deletes events
    one INTEGER PRIMARY KEY CHECK (one = 1), seq INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS deliveries (
    machine TEXT NOT NULL, outbox_id TEXT NOT NULL, last_batch_id INTEGER NOT NULL,
    PRIMARY KEY (machine, outbox_id));
"""

# columns `machines` gained after its first release: older databases get them at the next start
MACHINE_COLUMNS_ADDED = [("refused_events", "INTEGER NOT NULL DEFAULT 0")]   # events refused as not storable


@dataclass(frozen=True)
class TopicTable:
    topic: Topic
    columns: list[Column]          # the message's fields, `id` excluded (it is a key column)
    rows: RowBuilder

    @property
    def column_names(self) -> list[str]:
        return [c.name for c in self.columns]


def topic_tables() -> dict[str, TopicTable]:
    tables = {}
    for topic in TOPICS:
        columns = [c for c in columns_for(topic.message.DESCRIPTOR) if c.name != "id"]
        tables[topic.name] = TopicTable(topic, columns, RowBuilder(columns))
    return tables


def create_or_migrate(conn: sqlite3.Connection, tables: dict[str, TopicTable]) -> list[str]:
    """Create missing tables, add missing columns; returns the columns added (for the log)."""
    for statement in SUPPORT_TABLES.split(";"):
        if statement.strip():
            conn.execute(statement)  # not executescript: it would commit the caller's transaction
    added = _ensure_table(conn, "machines", MACHINE_COLUMNS_ADDED, [], None)
    for table in tables.values():
        fields = [(c.name, c.sql_type) for c in table.columns]
        if not table.topic.is_fact:
            added += _ensure_table(conn, table.topic.state_table, STATE_META, fields, "PRIMARY KEY (machine, id)")
        added += _ensure_table(conn, table.topic.event_table, EVENT_META, fields, None)
        name = table.topic.event_table
        # databases made before prev_seq keep their index on (machine, id, seq): their old rows need it
        if table.topic.is_fact:  # windows (/missed 7d, proofs in 24 h) are cut on facts by time
            conn.execute(f'CREATE INDEX IF NOT EXISTS "{name}_time" ON "{name}" (time)')
    return added


def _ensure_table(conn, name, meta, fields, constraint) -> list[str]:
    existing = {row[1] for row in conn.execute(f'PRAGMA table_info("{name}")')}
    if not existing:
        definitions = [f'"{n}" {t}' for n, t in meta + fields]
        if constraint:
            definitions.append(constraint)
        conn.execute(f'CREATE TABLE "{name}" ({", ".join(definitions)})')
        return []
    added = []
    for column, sql_type in meta + fields:
        if column not in existing:
            conn.execute(f'ALTER TABLE "{name}" ADD COLUMN "{column}" {sql_type}')
            added.append(f"{name}.{column}")
    return added
