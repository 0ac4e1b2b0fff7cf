"""The gRPC Monitor service: one stream per client, batches acknowledged once committed.

The machine is the one its certificate names; a client claiming another name is refused.
Errors go to the server log; the client only ever gets a one-line refusal. A machine is online
while any of its streams is (monitor.server.presence).
"""
from __future__ import annotations

import asyncio
import logging
import time
from pathlib import Path

import grpc

from monitor.server.ingest import Ingest
from monitor.server.presence import Hello, Presence
from monitor.server.store_process import StoreFailed
from monitor.tls import peer_machine
from monitor.store.reader import StoreReader
from protocol import events_pb2, service_pb2, service_pb2_grpc

log = logging.getLogger(__name__)

MAX_PENDING_EVENTS = 2_000_000   # chunks of one batch held until its last chunk arrives
DEFAULT_STATE_CHUNK = 10_000


class BatchAssembler:
    """Collects the chunks of one batch; the batch is complete when its last chunk arrives.

    A complete batch is handed on as one serialized EventBatch: the chunks' bytes joined (protobuf
    concatenates repeated fields), which is what the store's writer process reads.
    """

    def __init__(self) -> None:
        self.batch_id = 0
        self.expected_chunk = 0
        self.parts: list[bytes] = []
        self.events = 0

    def add(self, batch: service_pb2.EventBatch) -> bytes | None:
        chunks = max(batch.chunks, 1)
        if batch.chunk >= chunks:
            raise ValueError(f"batch {batch.batch_id}: chunk {batch.chunk} of {chunks} does not exist")
        if batch.chunk == 0:
            self.batch_id, self.expected_chunk, self.parts, self.events = batch.batch_id, 0, [], 0
        if batch.batch_id != self.batch_id or batch.chunk != self.expected_chunk:
            self.reset()
            raise ValueError(f"batch {batch.batch_id}: chunk {batch.chunk} arrived out of order")
        self.events += len(batch.events)
        if self.events > MAX_PENDING_EVENTS:
            self.reset()
            raise ValueError(f"batch {batch.batch_id}: more than {MAX_PENDING_EVENTS} events")
        self.parts.append(batch.SerializeToString())
        self.expected_chunk += 1
        if self.expected_chunk < chunks:
            return None
        whole, _ = b"".join(self.parts), self.reset()
        return whole

    def reset(self) -> None:
        self.expected_chunk, self.parts, self.events = 0, [], 0


class MonitorService(service_pb2_grpc.MonitorServicer):
    def __init__(self, ingest: Ingest, database: Path) -> None:
        self.ingest = ingest
        self.database = database
        self.presence = Presence()
        self._handlers = 0                             # Stream handlers running
        self._endings: set[asyncio.Task] = set()       # streams' ends being recorded

    async def drained(self, timeout: float) -> None:
        """Wait until every stream handler has finished and recorded its end (the server is stopping:
        the store must not close under them)."""
        deadline = asyncio.get_running_loop().time() + timeout
        while (self._handlers or self._endings) and asyncio.get_running_loop().time() < deadline:
            await asyncio.sleep(0.02)

    async def Stream(self, request_iterator, context: grpc.aio.ServicerContext):
        machine = peer_machine(context)
        if not machine:
            await context.abort(grpc.StatusCode.UNAUTHENTICATED, "a client certificate is required")
        outbox_id: str | None = None
        clock_offset = 0.0
        assembler = BatchAssembler()
        stream: int | None = None           # its number in the presence, once it said hello
        self._handlers += 1
        try:
            async for message in request_iterator:
                kind = message.WhichOneof("kind")
                if kind == "hello":
                    hello = message.hello
                    if hello.machine and hello.machine != machine:
                        log.warning("refused %s: its certificate names machine %r", hello.machine, machine)
                        yield service_pb2.ServerMessage(refusal=service_pb2.Refusal(
                            reason=f"this certificate is for machine {machine!r}, not {hello.machine!r}"))
                        return
                    outbox_id = hello.outbox_id
                    clock_offset = time.time() - hello.client_time if hello.client_time else 0.0
                    if stream is not None:
                        self.presence.closed(machine, stream)
                    stream = self.presence.opened(machine, Hello(hello.teafarm_version, clock_offset, context.peer()))
                    await self.ingest.connected(machine, hello.teafarm_version, clock_offset, context.peer())
                    last = await self.ingest.last_batch_id(machine, outbox_id)
                    log.info("%s connected (teafarm %s, clock offset %+.2f s, last batch %d)",
                             machine, hello.teafarm_version or "?", clock_offset, last)
                    yield service_pb2.ServerMessage(welcome=service_pb2.Welcome(
                        machine=machine, last_batch_id=last, server_time=time.time()))
                elif kind == "heartbeat":
                    clock_offset = time.time() - message.heartbeat.client_time if message.heartbeat.client_time else clock_offset
                    await self.ingest.seen(machine, clock_offset)
                elif kind == "batch":
                    reply = await self._batch(machine, outbox_id, clock_offset, assembler, message.batch)
                    if reply is not None:
                        yield reply
                        if reply.HasField("refusal"):
                            # the batches behind it are in flight already: storing one of them would
                            # acknowledge the refused one too (the server counts batches per outbox)
                            return
        except StoreFailed as exc:  # the store writer died or the database failed; the client comes back later
            log.error("%s: %s", machine, exc)
            yield service_pb2.ServerMessage(refusal=service_pb2.Refusal(
                reason="the server cannot store anything right now (see the server log)"))
        finally:
            # gRPC cancels the handler once the call is over, often while this finally still runs:
            # the end is recorded by a task of its own, started before the handler counts as done
            ending = self._record_end(machine, stream) if stream is not None else None
            self._handlers -= 1
            if ending is not None:
                await asyncio.shield(ending)

    def _record_end(self, machine: str, stream: int) -> asyncio.Task:
        ending = asyncio.get_running_loop().create_task(self._disconnected(machine, stream))
        self._endings.add(ending)
        ending.add_done_callback(self._endings.discard)
        return ending

    async def _disconnected(self, machine: str, stream: int) -> None:
        # presence and store change together (no await between them), so writes land in stream order
        live = self.presence.closed(machine, stream)
        try:
            if live is None:
                await self.ingest.disconnected(machine)
            else:   # another stream of it is live (a restarted client's): it stays online, as that one said
                await self.ingest.connected(machine, live.version, live.clock_offset, live.address)
        except StoreFailed as exc:
            log.warning("%s: could not record the disconnect: %s", machine, exc)
        log.info("%s disconnected%s", machine, "" if live is None else " (another stream of it is live)")

    async def _batch(self, machine, outbox_id, clock_offset, assembler, batch) -> service_pb2.ServerMessage | None:
        if outbox_id is None:
            return _refusal(batch.batch_id, "send hello before batches")
        try:
            whole = assembler.add(batch)
        except ValueError as exc:
            log.warning("%s: %s", machine, exc)
            return _refusal(batch.batch_id, str(exc))
        if whole is None:
            return None
        try:
            result = await self.ingest.apply(machine, whole, clock_offset, (outbox_id, batch.batch_id))
        except Exception:  # already logged with its traceback by the ingest
            return _refusal(batch.batch_id, f"the server could not store batch {batch.batch_id} (see the server log)")
        if result.unknown:
            log.debug("%s: %d events of topics this server does not know were skipped", machine, result.unknown)
        log.debug("%s: batch %d, %d events%s", machine, batch.batch_id, result.applied, " (duplicate)" if result.duplicate else "")
        return service_pb2.ServerMessage(ack=service_pb2.Ack(batch_id=batch.batch_id))

    async def GetMachineState(self, request, context: grpc.aio.ServicerContext):
        machine = peer_machine(context)
        if not machine:
            await context.abort(grpc.StatusCode.UNAUTHENTICATED, "a client certificate is required")
        max_items = request.max_items_per_chunk or DEFAULT_STATE_CHUNK
        chunks = await asyncio.get_running_loop().run_in_executor(None, self._snapshot, machine, max_items)
        for chunk in chunks:
            yield chunk

    def _snapshot(self, machine: str, max_items: int) -> list[events_pb2.ComputerInfo]:
        reader = StoreReader(self.database)
        try:
            return list(reader.machine_snapshot(machine, max_items))
        finally:
            reader.close()


def _refusal(batch_id: int, reason: str) -> service_pb2.ServerMessage:
    return service_pb2.ServerMessage(refusal=service_pb2.Refusal(batch_id=batch_id, reason=reason))
