"""Chunked batches being put together, and the bound on the memory they hold.

A big batch (a 100k-plot sync) comes in chunks that the server keeps until the last one arrives.
A machine that starts such a batch and never finishes it must not grow the server without end:
the bytes held are bounded per connection and over all connections, and an unfinished batch is
dropped when its connection ends or when no chunk of it came for `timeout` seconds. The client
keeps every batch until it is acknowledged, so a refused or dropped one is sent again later.
"""
from __future__ import annotations

import asyncio
import logging

from protocol import service_pb2

log = logging.getLogger(__name__)

MIB = 1024 * 1024
MAX_EVENTS = 2_000_000   # events in one batch: the store's writer holds a whole batch's rows at once
MAX_BATCH_ID = 2**63 - 1  # the store keeps batch ids as sqlite integers (a client's are outbox row ids)


class OpenBatches:
    """The bytes held by every connection's unfinished batch, within `per_connection` and `total`."""

    def __init__(self, per_connection: int, total: int, timeout: float) -> None:
        self.per_connection = per_connection
        self.total = total
        self.timeout = timeout
        self.held = 0

    def assembler(self, machine: str) -> BatchAssembler:
        return BatchAssembler(self, machine)


class BatchAssembler:
    """Collects the chunks of one connection's batch; the batch is complete when its last chunk arrives.

    Batch ids increase along a connection: one at or below a batch completed before it is refused
    (the store would acknowledge it as a batch it had, and drop its events). A complete batch is
    handed on as one serialized EventBatch: the chunks' bytes joined (protobuf concatenates repeated
    fields), which is what the store's writer process reads. A batch of one chunk is never held.
    """

    def __init__(self, budget: OpenBatches, machine: str) -> None:
        self.budget = budget
        self.machine = machine
        self.batch_id = 0
        self.completed = 0                    # the last batch completed on this connection
        self.expected_chunk = 0
        self.parts: list[bytes] = []
        self.held = 0
        self.events = 0
        self._expiry: asyncio.TimerHandle | None = None
        self._expired: int | None = None     # the batch dropped for its silence, until its next chunk

    def add(self, batch: service_pb2.EventBatch) -> bytes | None:
        """The whole batch once `batch` completes it, else None; ValueError (one line) refuses it."""
        chunks = max(batch.chunks, 1)
        if batch.chunk >= chunks:
            raise ValueError(f"batch {batch.batch_id}: chunk {batch.chunk} of {chunks} does not exist")
        expired, self._expired = self._expired, None
        if expired == batch.batch_id and batch.chunk:
            raise ValueError(f"batch {batch.batch_id}: no chunk came for {self.budget.timeout:g} s, so its "
                             "chunks were dropped; send it again")
        if batch.chunk == 0:
            self.reset()
            if batch.batch_id > MAX_BATCH_ID:
                raise ValueError(f"batch {batch.batch_id}: batch ids above {MAX_BATCH_ID} cannot be stored")
            if batch.batch_id == 0:
                raise ValueError("batch 0: batch ids start at 1")
            if batch.batch_id <= self.completed:
                raise ValueError(f"batch {batch.batch_id} goes backwards: batch {self.completed} came before it")
            self.batch_id = batch.batch_id
        if batch.batch_id != self.batch_id or batch.chunk != self.expected_chunk:
            self.reset()
            raise ValueError(f"batch {batch.batch_id}: chunk {batch.chunk} arrived out of order")
        self.events += len(batch.events)
        if self.events > MAX_EVENTS:
            self.reset()
            raise ValueError(f"batch {batch.batch_id}: more than {MAX_EVENTS} events")
        part = batch.SerializeToString()
        if chunks == 1:
            self.reset()
            self.completed = batch.batch_id
            return part
        self._hold(batch.batch_id, len(part))
        self.parts.append(part)
        self.expected_chunk += 1
        if self.expected_chunk < chunks:
            self._expire_later()
            return None
        whole = b"".join(self.parts)
        self.reset()
        self.completed = batch.batch_id
        return whole

    def _hold(self, batch_id: int, size: int) -> None:
        budget = self.budget
        if self.held + size > budget.per_connection:
            self.reset()
            raise ValueError(f"batch {batch_id}: its chunks exceed {budget.per_connection / MIB:g} MiB, the most one "
                             "connection may hold unfinished (server.open_batch_mb)")
        if budget.held + size > budget.total:
            self.reset()
            raise ValueError(f"batch {batch_id}: the server holds {budget.total / MIB:g} MiB of unfinished batches "
                             "already (server.open_batches_total_mb); try again later")
        self.held += size
        budget.held += size

    def _expire_later(self) -> None:
        if self._expiry is not None:
            self._expiry.cancel()
        self._expiry = asyncio.get_running_loop().call_later(self.budget.timeout, self._expire)

    def _expire(self) -> None:
        log.warning("%s: batch %d dropped unfinished: no chunk came for %g s (%.1f MiB freed)",
                    self.machine, self.batch_id, self.budget.timeout, self.held / MIB)
        self._expiry = None
        self._expired = self.batch_id
        self.reset()

    def new_outbox(self) -> None:
        """A hello naming another outbox: batch ids count within each outbox, from the start."""
        self.reset()
        self.completed = 0

    def reset(self) -> None:
        """Drop the unfinished batch, if any (also when the connection ends)."""
        if self._expiry is not None:
            self._expiry.cancel()
            self._expiry = None
        self.budget.held -= self.held
        self.expected_chunk, self.parts, self.held, self.events = 0, [], 0, 0
