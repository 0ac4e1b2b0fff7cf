"""The gRPC Monitor service: one stream per client, batches acknowledged once committed.

The machine is the one its certificate names; a client claiming another name is refused.
Errors go to the server log; the client only ever gets a one-line refusal. A machine is online
while any of its streams is (monitor.server.presence).
"""
from __future__ import annotations

import asyncio
import logging
import math
import time
from pathlib import Path

import grpc

from monitor.server.assembly import OpenBatches
from monitor.server.ingest import Ingest
from monitor.server.presence import Hello, Presence
from monitor.server.revocation import Revocation
from monitor.server.store_process import StoreFailed
from monitor.tls import peer_machine
from monitor.store.reader import StoreReader
from protocol import events_pb2, service_pb2, service_pb2_grpc

log = logging.getLogger(__name__)

DEFAULT_STATE_CHUNK = 10_000
MAX_REFUSALS_LISTED = 100   # refused events named in one ack (and in the log), the rest counted


class MonitorService(service_pb2_grpc.MonitorServicer):
    revocation: Revocation | None = None    # set by ServerApp: refuses revoked certificates at every call's start

    def __init__(self, ingest: Ingest, database: Path, open_batches: OpenBatches) -> None:
        self.ingest = ingest
        self.database = database
        self.open_batches = open_batches
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
        request_iterator = await self._refuse_revoked(context, request_iterator)
        outbox_id: str | None = None
        clock_offset = 0.0
        assembler = self.open_batches.assembler(machine)
        stream: int | None = None           # its number in the presence, once it said hello
        self._handlers += 1
        try:
            async for message in request_iterator:
                kind = message.WhichOneof("kind")
                if kind == "hello":
                    hello = message.hello
                    if hello.machine and hello.machine != machine:
                        log.warning("refused %s: its certificate names machine %r", _shown(hello.machine), machine)
                        yield service_pb2.ServerMessage(refusal=service_pb2.Refusal(
                            reason=f"this certificate is for machine {machine!r}, not {hello.machine[:60]!r}"))
                        return
                    if hello.probe:   # `teafarm doctor` checks mTLS and the clocks: the machine is not online for it
                        yield service_pb2.ServerMessage(welcome=service_pb2.Welcome(machine=machine, server_time=time.time()))
                        return
                    if hello.outbox_id != outbox_id:
                        assembler.new_outbox()
                    outbox_id = hello.outbox_id
                    clock_offset = _clock_offset(machine, hello.client_time, 0.0)
                    if stream is not None:
                        self.presence.closed(machine, stream)
                    stream = self.presence.opened(machine, Hello(hello.teafarm_version, clock_offset, context.peer()))
                    await self.ingest.connected(machine, hello.teafarm_version, clock_offset, context.peer())
                    last = await self.ingest.last_batch_id(machine, outbox_id)
                    log.info("%s connected (teafarm %s, clock offset %+.2f s, last batch %d)",
                             machine, _shown(hello.teafarm_version) or "?", clock_offset, last)
                    yield service_pb2.ServerMessage(welcome=service_pb2.Welcome(
                        machine=machine, last_batch_id=last, server_time=time.time()))
                elif kind == "heartbeat":
                    clock_offset = _clock_offset(machine, message.heartbeat.client_time, clock_offset)
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
            assembler.reset()   # an unfinished batch goes with its connection
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
        if result.duplicate:
            log.info("%s: batch %d of outbox %s was stored before; acknowledged again, nothing stored",
                     machine, batch.batch_id, _shown(outbox_id))
        log.debug("%s: batch %d, %d events", machine, batch.batch_id, result.applied)
        return service_pb2.ServerMessage(ack=_ack(machine, batch.batch_id, result.refused))

    async def GetMachineState(self, request, context: grpc.aio.ServicerContext):
        machine = peer_machine(context)
        if not machine:
            await context.abort(grpc.StatusCode.UNAUTHENTICATED, "a client certificate is required")
        await self._refuse_revoked(context)
        max_items = request.max_items_per_chunk or DEFAULT_STATE_CHUNK
        chunks = await asyncio.get_running_loop().run_in_executor(None, self._snapshot, machine, max_items)
        for chunk in chunks:
            yield chunk

    async def _refuse_revoked(self, context: grpc.aio.ServicerContext, requests=None):
        """A revoked certificate's call ends here; the returned `requests` end the call when its
        certificate is revoked later (monitor/server/revocation.py)."""
        if self.revocation is None:
            return requests
        refusal = await self.revocation.admit(context)
        if refusal:
            await context.abort(grpc.StatusCode.PERMISSION_DENIED, refusal)
        return self.revocation.until_revoked(context, requests) if requests is not None else None

    def _snapshot(self, machine: str, max_items: int) -> list[events_pb2.ComputerInfo]:
        reader = StoreReader(self.database)
        try:
            return list(reader.machine_snapshot(machine, max_items))
        finally:
            reader.close()


def _shown(text: str) -> str:
    """What a client said, for one log line: as it is when short and printable, else its short repr
    (a name with a newline must not forge a line of the log)."""
    return text if len(text) <= 60 and text.isprintable() else repr(text[:60])


def _clock_offset(machine: str, client_time: float, otherwise: float) -> float:
    """Server time minus the client's time, or `otherwise` when the client sent none (0) or no
    finite number (the offset corrects every event time it stores)."""
    if not client_time:
        return otherwise
    offset = time.time() - client_time
    if not math.isfinite(offset):
        log.warning("%s: its clock time %r is not a finite number; its clock offset stays %+.2f s",
                    machine, client_time, otherwise)
        return otherwise
    return offset


def _ack(machine: str, batch_id: int, refused: tuple[tuple[int, str], ...]) -> service_pb2.Ack:
    """The ack of a stored batch, naming the events refused as not storable exactly (one log line each)."""
    listed = refused[:MAX_REFUSALS_LISTED]
    for index, reason in listed:
        log.warning("%s: batch %d, event %d refused: %s", machine, batch_id, index, reason)
    if len(refused) > len(listed):
        log.warning("%s: batch %d, %d more events refused", machine, batch_id, len(refused) - len(listed))
    return service_pb2.Ack(batch_id=batch_id, refused_count=len(refused),
                           refused=[service_pb2.RefusedEvent(index=i, reason=r) for i, r in listed])


def _refusal(batch_id: int, reason: str) -> service_pb2.ServerMessage:
    return service_pb2.ServerMessage(refusal=service_pb2.Refusal(batch_id=batch_id, reason=reason))
