"""The client's uplink and the server's answers (issue 10): an ack read before the write of its batch
returned, events the server refused, and a server too busy to take a big batch. The real Uplink and
Outbox here, against one real `teafarm server` over mutual TLS that holds at most 2 MiB of one
connection's unfinished batch and 3 MiB in all."""
from __future__ import annotations

import asyncio
import logging

import pytest

import monitor.client.stream as stream
from monitor.client.outbox import Outbox
from monitor.tls import client_credentials
from tests.helpers.backbone import client_pair, event, query
from tests.helpers.farm import Farm
from tests.helpers.raw_stream import RawStream
from tests.helpers.waiting import wait_until_async

PART = [event("process", id=f"p{i}", cmdline="x" * 1000) for i in range(900)]   # about 0.9 MiB


@pytest.fixture(scope="module")
def farm(tmp_path_factory):
    farm = Farm.create(tmp_path_factory.mktemp("uplink") / "farm", server={"open_batch_mb": 2, "open_batches_total_mb": 3})
    farm.start()
    yield farm
    farm.stop()


class RecordingUplink(stream.Uplink):
    """The real uplink, recording what it writes; with `ack_first` the write of a batch returns only
    once the server's ack of it was read (what a loaded event loop does now and then)."""

    def __init__(self, farm: Farm, machine: str, outbox: Outbox, ack_first: bool = False) -> None:
        super().__init__(f"127.0.0.1:{farm.port}", client_credentials(client_pair(farm.data_dir, machine), farm.ca),
                         outbox, machine, heartbeat=0.2, on_resync=lambda state: None)
        self.ack_first = ack_first
        self.written: list[str] = []

    async def _write(self, call, message) -> None:
        await super()._write(call, message)
        self.written.append(message.WhichOneof("kind"))
        if self.ack_first and message.HasField("batch"):
            await wait_until_async(lambda: not self.outbox.pending_count(), 30, "the ack", interval=0.01)


async def run_until(uplink: stream.Uplink, done, what: str, timeout: float = 30) -> None:
    task = asyncio.create_task(uplink.run())
    try:
        await wait_until_async(done, timeout, what, interval=0.02)
    finally:
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)


def test_an_ack_read_before_its_write_returned_does_not_stop_the_heartbeats(farm, tmp_path):
    """Found by bench/simfarm.py: the batch was marked in flight after its write, so an early ack left
    it in flight for ever, the heartbeats stopped and the machine was reported silent."""
    outbox = Outbox(tmp_path / "outbox.db")
    uplink = RecordingUplink(farm, "early", outbox, ack_first=True)
    outbox.enqueue([event("disk", id="/a")])

    def heartbeat_after_the_batch() -> bool:
        return "batch" in uplink.written and "heartbeat" in uplink.written[uplink.written.index("batch"):]

    try:
        asyncio.run(run_until(uplink, heartbeat_after_the_batch, "a heartbeat after the acknowledged batch", timeout=10))
    finally:
        outbox.close()


def test_refused_events_are_logged_and_dropped_and_the_rest_is_stored(farm, tmp_path, caplog):
    outbox = Outbox(tmp_path / "outbox.db")
    uplink = RecordingUplink(farm, "refused", outbox)
    outbox.enqueue([event("disk", id="/huge", total_bytes=2**64 - 1), event("disk", id="/ok", total_bytes=7)])
    outbox.enqueue([event("disk", id="/next", timestamp=float("nan")), event("disk", id="/then")])
    try:
        with caplog.at_level(logging.INFO, logger="monitor.client.stream"):
            asyncio.run(run_until(uplink, lambda: not outbox.pending_count(), "both batches acknowledged"))
    finally:
        outbox.close()
    refused = [r.getMessage() for r in caplog.records if r.getMessage().startswith("server refused")]
    assert len(refused) == 2, refused
    assert refused[0].startswith("server refused event 0 of batch 1, dropped: disk '/huge': total_bytes = 18446744073709551615")
    assert refused[1].startswith("server refused event 0 of batch 2, dropped: disk '/next': its time is nan")
    assert query(farm.database, "SELECT id, total_bytes FROM disk WHERE machine = 'refused' ORDER BY id") == [
        ("/ok", 7), ("/then", 0)]


def test_a_batch_the_busy_server_refuses_waits_longer_each_time_and_is_delivered_later(farm, tmp_path, backoff_steps):
    waits = backoff_steps
    holder = RawStream(farm.port, client_pair(farm.data_dir, "holder"), farm.ca, "holder")
    holder.chunk(1, PART, 0, 3)
    holder.chunk(1, PART, 1, 3)
    assert holder.hello_again().HasField("welcome")          # the server holds 1.8 MiB of the 3 it may
    outbox = Outbox(tmp_path / "outbox.db")
    uplink = RecordingUplink(farm, "big", outbox)
    outbox.enqueue([event("process", id=f"big{i}", cmdline="y" * 1000) for i in range(1800)])   # 2 chunks

    async def scenario() -> None:
        task = asyncio.create_task(uplink.run())
        try:
            await wait_until_async(lambda: len(waits) >= 3, 30, "three refusals")
            await asyncio.to_thread(holder.close)             # its connection ends: its bytes are free
            await wait_until_async(lambda: not outbox.pending_count(), 30, "the batch acknowledged")
        finally:
            task.cancel()
            await asyncio.gather(task, return_exceptions=True)

    try:
        asyncio.run(scenario())
    finally:
        outbox.close()
    assert waits[:3] == [1, 2, 3]
    assert query(farm.database, "SELECT COUNT(*) FROM process WHERE machine = 'big'") == [(1800,)]
