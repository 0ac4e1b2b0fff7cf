"""A hostile or broken peer against one real `teafarm server` (gRPC over mutual TLS on loopback): values at
their extremes are stored exactly or refused one event at a time, batch ids out of range or going
backwards are refused, unfinished chunked batches hold bounded memory, idle connections cost little
(issue 10, points 2 and 4, and its hostile-peer test). The server runs with small bounds for
unfinished batches (2 MiB per connection, 6 MiB in all) so the bounds are reached in a few chunks."""
from __future__ import annotations

import asyncio
import itertools
import math
import re
import socket
import uuid

import psutil
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bot import render
from bot.alerts.botdb import connect_botdb
from bot.alerts.settings import AlertSettings
from bot.commands.base import CommandContext
from bot.commands.machines import machines_command
from bot.transports.base import Incoming
from monitor.server.assembly import MIB, OpenBatches
from monitor.store.columns import fill_message
from monitor.store.reader import StoreReader
from monitor.store.schema import topic_tables
from protocol import events_pb2, service_pb2
from protocol.registry import BY_NAME
from tests.helpers.backbone import client_pair, event, query, send_messages
from tests.helpers.extreme_messages import messages, not_storable, update_events
from tests.helpers.farm import Farm
from tests.helpers.raw_stream import RawStream
from tests.helpers.waiting import wait_until

PART = [event("process", id=f"p{i}", cmdline="x" * 1000) for i in range(900)]   # a chunk of about 0.9 MiB


@pytest.fixture(scope="module")
def farm(tmp_path_factory):
    farm = Farm.create(tmp_path_factory.mktemp("hostile") / "farm",
                       server={"open_batch_mb": 2, "open_batches_total_mb": 6})
    farm.start()
    yield farm
    farm.stop()


def stream(farm: Farm, machine: str, outbox_id: str | None = None, **options) -> RawStream:
    return RawStream(farm.port, client_pair(farm.data_dir, machine), farm.ca, outbox_id or uuid.uuid4().hex, **options)


def server_rss(farm: Farm) -> int:
    return psutil.Process(farm.process.proc.pid).memory_info().rss


def test_protocol_edges_are_stored_exactly_or_refused_event_by_event(farm):
    edges = stream(farm, "edges", client_time=math.nan)          # used to be "cannot store anything right now"
    assert edges.welcome.machine == "edges"
    edges.heartbeat(math.nan)
    ack = edges.batch(1, [event("disk", id="/huge", total_bytes=2**64 - 1), event("disk", id="/max", total_bytes=2**63 - 1),
                          event("disk", id="/nan", percent=math.nan)]).ack
    assert ([r.index for r in ack.refused], ack.refused_count) == ([0, 2], 2)
    assert "disk '/huge': total_bytes = 18446744073709551615 is above" in ack.refused[0].reason
    assert edges.batch(5, [event("disk", id="/five")]).ack.batch_id == 5
    assert "batch 3 goes backwards: batch 5 came before it" in edges.batch(3, [event("disk", id="/three")]).refusal.reason
    edges.close()

    for batch_id, kind in ((2**63, "refusal"), (2**63 - 1, "ack")):
        big = stream(farm, "edges", "big")
        reply = big.batch(batch_id, [event("disk", id="/last")])
        big.close()
        assert reply.WhichOneof("kind") == kind
    assert "batch ids above 9223372036854775807 cannot be stored" in farm.process.log_text()
    big = stream(farm, "edges", "big")
    big.close()
    assert big.welcome.last_batch_id == 2**63 - 1

    assert query(farm.database, "SELECT id, total_bytes FROM disk WHERE machine = 'edges' ORDER BY id") == [
        ("/five", 0), ("/last", 0), ("/max", 2**63 - 1)]
    log = farm.process.log_text()
    assert log.count("edges: batch 1, event 0 refused: disk '/huge'") == 1
    assert log.count("edges: batch 1, event 2 refused: disk '/nan': percent is NaN") == 1
    assert "edges: its clock time nan is not a finite number" in log
    assert "cannot store" not in log and "Traceback" not in log
    context = CommandContext(StoreReader(farm.database), connect_botdb(farm.data_dir / "bot.db"), AlertSettings())
    reply = render.plain(machines_command(context, "", Incoming("console", "c", "u", "alice", "/machines")))
    assert "edges: OFFLINE" in reply and "2 events refused" in reply


def test_unfinished_batches_hold_bounded_memory_and_go_with_their_connection(farm):
    before = server_rss(farm)
    # per connection: six machines each start a 30 MiB batch; each is refused past 2 MiB
    pushers = [stream(farm, f"pusher{n}", timeout=30) for n in range(6)]
    for pusher in pushers:
        for chunk in range(30):
            pusher.chunk(1, PART, chunk, 100)
    for pusher in pushers:
        assert "exceed 2 MiB, the most one connection may hold unfinished (server.open_batch_mb)" in pusher.read().refusal.reason
        pusher.close()
    assert server_rss(farm) - before < 40 * MIB

    # in all: three connections hold 1.8 MiB each; a fourth chunk would pass 6 MiB
    holders = [stream(farm, f"holder{n}") for n in range(3)]
    for holder in holders:
        holder.chunk(1, PART, 0, 3)
        holder.chunk(1, PART, 1, 3)
        assert holder.hello_again().HasField("welcome")   # the server has both chunks
    late = stream(farm, "late")
    late.chunk(1, PART, 0, 3)
    assert "the server holds 6 MiB of unfinished batches already" in late.read().refusal.reason
    late.close()
    assert holders[0].batch(2, [event("disk", id="/a")]).ack.batch_id == 2   # a new batch drops its unfinished one
    for holder in holders:
        holder.close()

    def whole_batch_fits() -> bool:   # once the holders' ends are handled, their bytes are free again
        sender = stream(farm, "after", "after")
        for chunk in range(3):
            sender.chunk(sender.welcome.last_batch_id + 1, PART[:600], chunk, 3)
        reply = sender.read()
        sender.close()
        return reply.HasField("ack")

    wait_until(whole_batch_fits, 30, "a 1.8 MiB batch to fit after the holders left")
    assert query(farm.database, "SELECT COUNT(*) FROM process WHERE machine = 'after'") == [(600,)]
    assert query(farm.database, "SELECT COUNT(*) FROM process WHERE machine LIKE 'pusher%' OR machine LIKE 'holder%'") == [(0,)]
    assert "Traceback" not in farm.process.log_text()


def test_an_unfinished_batch_is_dropped_after_its_timeout():
    async def scenario() -> None:
        budget = OpenBatches(per_connection=4 * MIB, total=8 * MIB, timeout=0.05)
        assembler = budget.assembler("slow")
        first = service_pb2.EventBatch(batch_id=1, chunk=0, chunks=2, events=PART[:10])
        assert assembler.add(first) is None and budget.held > 0
        await asyncio.sleep(0.2)
        assert budget.held == 0
        with pytest.raises(ValueError, match="batch 1: no chunk came for 0.05 s, so its chunks were dropped"):
            assembler.add(service_pb2.EventBatch(batch_id=1, chunk=1, chunks=2, events=PART[:10]))
        assert assembler.add(first) is None     # sent again from its first chunk, it is taken
        assembler.reset()
        assert budget.held == 0

    asyncio.run(scenario())


def test_many_idle_connections_cost_little(farm):
    before = server_rss(farm)
    silent = [socket.create_connection(("127.0.0.1", farm.port)) for _ in range(100)]   # never say anything
    idle = [stream(farm, f"idle{n}") for n in range(100)]                                # hello, then nothing
    try:
        busy = stream(farm, "busy")
        assert busy.batch(1, [event("disk", id="/x")]).HasField("ack")
        busy.close()
        assert server_rss(farm) - before < 50 * MIB
    finally:
        for connection in idle:
            connection.close()
        for connection in silent:
            connection.close()


@pytest.fixture(scope="module")
def fuzz(farm):
    """One stream for every example, and its batch ids."""
    fuzzer = stream(farm, "fuzz")
    yield fuzzer, itertools.count(1)
    fuzzer.close()


@settings(max_examples=60, deadline=None, derandomize=True, database=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(events=st.lists(update_events(), min_size=1, max_size=3))
def test_extreme_values_are_stored_exactly_or_refused(farm, fuzz, events):
    reader = StoreReader(farm.database)
    try:
        before = reader.max_seq()
        fuzzer, batch_ids = fuzz
        batch_id = next(batch_ids)
        ack = fuzzer.batch(batch_id, events).ack
        assert ack.batch_id == batch_id
        assert [r.index for r in ack.refused] == [i for i, e in enumerate(events) if not_storable(e)]
        kept = [e for e in events if not not_storable(e)]
        stored = reader.events_after(before)
        assert len(stored) == len(kept)
        for sent, row in zip(kept, stored):
            topic = BY_NAME[sent.WhichOneof("payload")]
            payload = getattr(sent, topic.name)
            assert (row.topic, row.event_type) == (topic.name, events_pb2.EventType.Name(sent.event_type))
            client_time, = reader.query(f'SELECT client_time FROM "{topic.event_table}" WHERE seq = ?', (row.seq,))[0]
            assert client_time == sent.timestamp
            assert row.id == (payload.id if topic.keyed else "")
            if sent.event_type != events_pb2.DELETE:
                back = fill_message(TABLES[topic.name].columns, topic.message(), row.values)
                if topic.keyed:
                    back.id = row.id
                assert back == payload
    finally:
        reader.close()


@settings(max_examples=40, deadline=None, derandomize=True, database=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(said_hello=st.booleans(), conversation=st.lists(messages(service_pb2.ClientMessage.DESCRIPTOR), min_size=1, max_size=4))
def test_any_message_at_its_extremes_gets_a_one_line_answer(farm, said_hello, conversation):
    """Hellos, heartbeats and batch headers at their extremes (times NaN or infinite, batch ids 0 or
    2^64-1, chunk numbers past their count): each is answered, refused in one line, or ignored, and
    never makes the server unable to store."""
    pair = client_pair(farm.data_dir, "anything")
    hello = [service_pb2.ClientMessage(hello=service_pb2.Hello(outbox_id="anything"))] if said_hello else []
    for reply in send_messages(farm.port, pair, farm.ca, hello + conversation):
        assert reply.WhichOneof("kind") in ("welcome", "ack", "refusal")
        assert "\n" not in reply.refusal.reason and "cannot store anything" not in reply.refusal.reason
    assert farm.process.proc.poll() is None


def test_the_server_log_has_one_line_per_record_whatever_the_peers_sent(farm):
    lines = farm.process.log_text().splitlines()
    assert all(re.match(r"\d\d:\d\d:\d\d (DEBUG|INFO|WARNING|ERROR) ", line) for line in lines), \
        [line for line in lines if not re.match(r"\d\d:\d\d:\d\d ", line)][:5]


TABLES = topic_tables()
