"""The client's link to the server: sends the outbox in order, one stream, acks confirm batches.

On every (re)connect the server says which batch of this outbox it applied last, so nothing is
sent twice; with an empty outbox the client then compares its base with the server's state for
this machine and, if they differ (a restored database, a lost outbox), takes the server's state
as its base so the next diff repairs it. Large batches are split into chunks that the server
applies together when the last arrives (the outbox stores them chunked).
"""
from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable

import grpc

from monitor.client.diff import State, state_of
from monitor.client.outbox import Outbox
from protocol import events_pb2, service_pb2, service_pb2_grpc
from teafarm import __version__

log = logging.getLogger(__name__)

PROTOCOL_VERSION = 1
WINDOW = 8                        # batches sent before waiting for acknowledgements
MAX_MESSAGE = 64 * 1024 * 1024    # for GetMachineState chunks
BACKOFF = (1, 2, 4, 8, 15, 30)


class Refused(Exception):
    """The server refused the session or a batch (its one-line reason)."""

    def __init__(self, reason: str, batch_id: int = 0) -> None:
        super().__init__(reason)
        self.batch_id = batch_id     # the batch refused (0: the session)


class Uplink:
    # blocking: why TLS with the server fails, as one line (None: it does not), so a rejected
    # certificate is not reported as "unreachable" (ClientApp sets it: monitor.tls.diagnose)
    explain_failure: Callable[[], str | None] | None = None

    def __init__(self, target: str, credentials: grpc.ChannelCredentials, outbox: Outbox, machine: str,
                 heartbeat: float, on_resync: Callable[[State], None]) -> None:
        self.target = target
        self.credentials = credentials
        self.outbox = outbox
        self.machine = machine
        self.heartbeat = heartbeat
        self.on_resync = on_resync
        self.connected = asyncio.Event()
        self.resynced = asyncio.Event()   # the base was compared with the server's state at least once
        self._new_data = asyncio.Event()

    def wake(self) -> None:
        """New batches are in the outbox."""
        self._new_data.set()

    async def run(self) -> None:
        failures = 0
        refused_before = 0     # the batch the previous session ended refused on
        while True:
            try:
                await self._session()
                failures = 0
            except asyncio.CancelledError:
                raise
            except (grpc.aio.AioRpcError, Refused, ConnectionError) as exc:
                refused = exc.batch_id if isinstance(exc, Refused) else 0
                # it worked until now (a server restart, say): back soon, and say so; but the same
                # batch refused again (a busy server, say) waits longer each time: the outbox keeps it
                if self.connected.is_set() and not (refused and refused == refused_before):
                    failures = 0
                refused_before = refused
                await self._log_failure(exc, failures)
                failures += 1
            finally:
                self.connected.clear()
            await asyncio.sleep(BACKOFF[min(failures, len(BACKOFF) - 1)])

    async def _log_failure(self, exc: Exception, failures: int) -> None:
        level = logging.WARNING if failures == 0 or failures % 20 == 0 else logging.DEBUG
        problem = None
        if isinstance(exc, grpc.aio.AioRpcError) and exc.code() == grpc.StatusCode.UNAVAILABLE and self.explain_failure \
                and log.isEnabledFor(level):
            problem = await asyncio.to_thread(self.explain_failure)
        if problem:
            reason = problem
        elif isinstance(exc, grpc.aio.AioRpcError) and exc.code() == grpc.StatusCode.PERMISSION_DENIED:
            reason = f"refused the connection: {exc.details()}"
        elif isinstance(exc, grpc.aio.AioRpcError):
            reason = f"unreachable ({exc.code().name}: {exc.details()})"
        elif isinstance(exc, Refused):
            reason = str(exc)
        else:
            reason = f"unreachable ({exc})"
        log.log(level, "server %s: %s; %d batches wait in the outbox", self.target, reason, self.outbox.pending_count())

    async def _session(self) -> None:
        options = [("grpc.max_receive_message_length", MAX_MESSAGE), ("grpc.max_send_message_length", MAX_MESSAGE),
                   ("grpc.keepalive_time_ms", 30_000), ("grpc.keepalive_timeout_ms", 10_000)]
        async with grpc.aio.secure_channel(self.target, self.credentials, options=options) as channel:
            stub = service_pb2_grpc.MonitorStub(channel)
            call = stub.Stream()
            await self._write(call, service_pb2.ClientMessage(hello=service_pb2.Hello(
                teafarm_version=__version__, outbox_id=self.outbox.outbox_id, client_time=time.time(),
                protocol_version=PROTOCOL_VERSION, machine=self.machine)))
            welcome = await self._read(call)
            if welcome.WhichOneof("kind") != "welcome":
                raise Refused(f"refused the connection: {welcome.refusal.reason}")
            self.outbox.confirm(welcome.welcome.last_batch_id)
            log.info("connected to %s as %s (%d batches to send)", self.target, welcome.welcome.machine,
                     self.outbox.pending_count())
            self.connected.set()
            await self._pump(call, stub)

    async def _resync(self, stub: service_pb2_grpc.MonitorStub) -> bool:
        """Compare the base with the server's state; only meaningful with an empty outbox."""
        snapshot = events_pb2.ComputerInfo()
        async for chunk in stub.GetMachineState(service_pb2.MachineStateRequest()):
            snapshot.MergeFrom(chunk)
        if self.outbox.pending_count():
            return False  # new batches were queued meanwhile: the server's state is behind again
        self.on_resync(state_of(snapshot))
        self.resynced.set()
        return True

    async def _pump(self, call, stub) -> None:
        in_flight: list[int] = []
        acks = asyncio.create_task(self._read_acks(call, in_flight))
        resync_checked = False  # once per session, as soon as the outbox is empty
        try:
            last_sent = 0
            while not acks.done():
                self._new_data.clear()
                if not resync_checked and not in_flight and not self.outbox.pending_count():
                    resync_checked = await self._resync(stub)
                while len(in_flight) < WINDOW:
                    batches = self.outbox.pending(after_id=last_sent, limit=WINDOW - len(in_flight))
                    if not batches:
                        break
                    for batch_id, chunks in batches:
                        # in flight before it is written: its ack may be read before the write returns
                        in_flight.append(batch_id)
                        last_sent = batch_id
                        for chunk in range(chunks):
                            await self._write(call, service_pb2.ClientMessage(batch=self.outbox.chunk(batch_id, chunk, chunks)))
                woke = await self._wait_for_work(acks, self.heartbeat)
                if not woke and not acks.done() and not in_flight:
                    await self._write(call, service_pb2.ClientMessage(heartbeat=service_pb2.Heartbeat(client_time=time.time())))
            acks.result()  # re-raise what ended the session
        finally:
            acks.cancel()

    async def _wait_for_work(self, acks: asyncio.Task, timeout: float) -> bool:
        """Wait for new batches, an ack, or the end of the session; False when the wait timed out."""
        new_data = asyncio.create_task(self._new_data.wait())
        try:
            done, _ = await asyncio.wait({new_data, acks}, timeout=timeout, return_when=asyncio.FIRST_COMPLETED)
            return bool(done)
        finally:
            new_data.cancel()

    async def _read_acks(self, call, in_flight: list[int]) -> None:
        while True:
            message = await self._read(call)
            kind = message.WhichOneof("kind")
            if kind == "ack":
                batch_id = message.ack.batch_id
                _log_refused_events(message.ack)
                self.outbox.confirm(batch_id)   # refused events go with their batch: the server will never take them
                while in_flight and in_flight[0] <= batch_id:
                    in_flight.pop(0)
                self._new_data.set()
            elif kind == "refusal":
                raise Refused(f"refused batch {message.refusal.batch_id}: {message.refusal.reason}", message.refusal.batch_id)

    @staticmethod
    async def _write(call, message: service_pb2.ClientMessage) -> None:
        """Every message goes out here (a test delays it to see an ack arrive before it returns)."""
        await call.write(message)

    @staticmethod
    async def _read(call) -> service_pb2.ServerMessage:
        message = await call.read()
        if message is grpc.aio.EOF:
            raise ConnectionError("the server closed the stream")
        return message


def _log_refused_events(ack: service_pb2.Ack) -> None:
    """One line per event the server could not store exactly (it stored the rest of the batch)."""
    for refused in ack.refused:
        log.warning("server refused event %d of batch %d, dropped: %s", refused.index, ack.batch_id, refused.reason)
    if ack.refused_count > len(ack.refused):
        log.warning("server refused %d more events of batch %d, dropped", ack.refused_count - len(ack.refused), ack.batch_id)
