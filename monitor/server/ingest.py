"""Hands the store's writes to its writer process from one worker thread, so big syncs never stall
the gRPC event loop, and tells the commit listeners (the bot's alert engine) what was committed.

Batches that arrive while the writer is busy are committed together (group commit): each batch is
still stored whole or not at all, but a busy server pays for one transaction, not hundreds.
"""
from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor

from monitor.server.store_process import BatchRequest, StoreFailed, StoreLost, StoreProcess
from monitor.store.store import ApplyResult

log = logging.getLogger(__name__)

GROUP_BYTES = 16 * 1024 * 1024   # at most this much serialized batch data in one group commit (a big sync goes alone)


class Ingest:
    def __init__(self, store: StoreProcess) -> None:
        self.store = store
        self._writer = ThreadPoolExecutor(max_workers=1, thread_name_prefix="store-writer")
        self._queue: asyncio.Queue[tuple[BatchRequest, asyncio.Future]] | None = None
        self._group_task: asyncio.Task | None = None
        self._listeners: list[Callable[[int], None]] = []
        self._closed = False

    def add_commit_listener(self, listener: Callable[[int], None]) -> None:
        """`listener(last_seq)` runs on the event loop after every commit that stored events."""
        self._listeners.append(listener)

    async def apply(self, machine: str, batch: bytes, clock_offset: float, delivery: tuple[str, int]) -> ApplyResult:
        """Store one whole batch (a serialized EventBatch); returns once it is committed."""
        if self._queue is None:
            self._queue = asyncio.Queue()
            self._group_task = asyncio.create_task(self._commit_groups(), name="group-commit")
        done = asyncio.get_running_loop().create_future()
        self._queue.put_nowait((BatchRequest(machine, batch, clock_offset, delivery), done))
        return await done

    async def _commit_groups(self) -> None:
        while True:
            group = [await self._queue.get()]
            size = len(group[0][0].batch)
            while not self._queue.empty() and size < GROUP_BYTES:
                group.append(self._queue.get_nowait())
                size += len(group[-1][0].batch)
            outcomes = await self._run(self._apply_group, [request for request, _ in group])
            for (_, done), outcome in zip(group, outcomes):
                if done.cancelled():
                    continue
                if isinstance(outcome, BaseException):
                    done.set_exception(outcome)
                else:
                    done.set_result(outcome)
            last = max((o.last_seq for o in outcomes if isinstance(o, ApplyResult)), default=0)
            if last:
                self._notify(last)

    def _notify(self, last_seq: int) -> None:
        for listener in self._listeners:
            try:
                listener(last_seq)
            except Exception:
                log.exception("commit listener failed")

    def _apply_group(self, requests: list[BatchRequest]) -> list[ApplyResult | Exception]:
        try:
            return self.store.apply_many(requests)
        except StoreLost as exc:  # nothing can be stored any more: the server stops and says why, once
            return [exc] * len(requests)
        except Exception as exc:  # StoreFailed, or the pipe itself
            if len(requests) == 1:
                return [_failure(requests[0], exc)]
        # one bad request must not fail the others: store them one by one, except the later batches
        # of an outbox whose batch failed (storing one would count the failed one as stored)
        outcomes: list[ApplyResult | Exception] = []
        failed: set[tuple[str, str]] = set()
        for request in requests:
            outbox = (request.machine, request.delivery[0])
            try:
                if outbox in failed:
                    raise StoreFailed(f"batch {request.delivery[1]} waits for an earlier batch of its outbox")
                outcomes.append(self.store.apply_many([request])[0])
            except Exception as exc:
                failed.add(outbox)
                outcomes.append(_failure(request, exc))
        return outcomes

    async def last_batch_id(self, machine: str, outbox_id: str) -> int:
        return await self._run(self.store.last_batch_id, machine, outbox_id)

    async def connected(self, machine: str, version: str, clock_offset: float, address: str) -> None:
        await self._run(self.store.machine_connected, machine, version, clock_offset, address)

    async def seen(self, machine: str, clock_offset: float | None = None) -> None:
        await self._run(self.store.machine_seen, machine, clock_offset)

    async def disconnected(self, machine: str) -> None:
        await self._run(self.store.machine_disconnected, machine)

    async def none_connected(self) -> None:
        await self._run(self.store.machines_disconnected)

    async def prune(self) -> int:
        return await self._run(self.store.prune)

    async def _run(self, function, *args):
        if self._closed:      # a stream ending after the server stopped: nothing to write to any more
            raise StoreFailed("the server is stopping")
        return await asyncio.get_running_loop().run_in_executor(self._writer, function, *args)

    def close(self) -> None:
        self._closed = True
        if self._group_task is not None:
            self._group_task.cancel()
        self._writer.shutdown(wait=True)
        self.store.close()


def _failure(request: BatchRequest, exc: Exception) -> Exception:
    log.error("%s: storing batch %d (%d bytes) failed: %s", request.machine, request.delivery[1], len(request.batch), exc)
    return RuntimeError("storing the batch failed")
