"""Runs the store's writes in one worker thread, so big syncs never stall the gRPC event loop.

Batches that arrive while the writer is busy are committed together (group commit): each batch is
still stored whole or not at all, but a busy server pays for one transaction, not hundreds.
"""
from __future__ import annotations

import asyncio
import logging
from concurrent.futures import ThreadPoolExecutor

from monitor.store.store import ApplyResult, Request, Store
from protocol import events_pb2

log = logging.getLogger(__name__)

GROUP_EVENTS = 50_000     # at most this many events in one group commit (a big sync goes alone)


class Ingest:
    def __init__(self, store: Store) -> None:
        self.store = store
        self._writer = ThreadPoolExecutor(max_workers=1, thread_name_prefix="store-writer")
        self._queue: asyncio.Queue[tuple[Request, asyncio.Future]] | None = None
        self._group_task: asyncio.Task | None = None

    async def apply(self, machine: str, events: list[events_pb2.UpdateEvent], clock_offset: float,
                    delivery: tuple[str, int]) -> ApplyResult:
        if self._queue is None:
            self._queue = asyncio.Queue()
            self._group_task = asyncio.create_task(self._commit_groups(), name="group-commit")
        done = asyncio.get_running_loop().create_future()
        self._queue.put_nowait((Request(machine, events, clock_offset, delivery), done))
        return await done

    async def _commit_groups(self) -> None:
        while True:
            group = [await self._queue.get()]
            size = len(group[0][0].events)
            while not self._queue.empty() and size < GROUP_EVENTS:
                group.append(self._queue.get_nowait())
                size += len(group[-1][0].events)
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
                self.store.notify_committed(last)

    def _apply_group(self, requests: list[Request]) -> list[ApplyResult | Exception]:
        try:
            return self.store.apply_many(requests)
        except Exception:
            if len(requests) == 1:
                return [_failure(requests[0])]
        # one bad request must not fail the others: store them one by one
        outcomes: list[ApplyResult | Exception] = []
        for request in requests:
            try:
                outcomes.append(self.store.apply_many([request])[0])
            except Exception:
                outcomes.append(_failure(request))
        return outcomes

    async def last_batch_id(self, machine: str, outbox_id: str) -> int:
        return await self._run(self.store.last_batch_id, machine, outbox_id)

    async def connected(self, machine: str, version: str, clock_offset: float, address: str) -> None:
        await self._run(self.store.machine_connected, machine, version, clock_offset, address)

    async def seen(self, machine: str, clock_offset: float | None = None) -> None:
        await self._run(self.store.machine_seen, machine, clock_offset)

    async def disconnected(self, machine: str) -> None:
        await self._run(self.store.machine_disconnected, machine)

    async def prune(self) -> int:
        return await self._run(self.store.prune)

    async def _run(self, function, *args):
        return await asyncio.get_running_loop().run_in_executor(self._writer, function, *args)

    def close(self) -> None:
        if self._group_task is not None:
            self._group_task.cancel()
        self._writer.shutdown(wait=True)
        self.store.close()


def _failure(request: Request) -> Exception:
    log.exception("%s: storing a batch of %d events failed", request.machine, len(request.events))
    return RuntimeError("storing the batch failed")
