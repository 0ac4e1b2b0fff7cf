"""Runs the store's writes in one worker thread, so big syncs never stall the gRPC event loop."""
from __future__ import annotations

import asyncio
from concurrent.futures import ThreadPoolExecutor

from monitor.store.store import ApplyResult, Store
from protocol import events_pb2


class Ingest:
    def __init__(self, store: Store) -> None:
        self.store = store
        self._writer = ThreadPoolExecutor(max_workers=1, thread_name_prefix="store-writer")

    async def apply(self, machine: str, events: list[events_pb2.UpdateEvent], clock_offset: float,
                    delivery: tuple[str, int]) -> ApplyResult:
        result = await self._run(self.store.apply, machine, events, clock_offset, delivery)
        if result.applied:
            self.store.notify_committed(result.last_seq)
        return result

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
        self._writer.shutdown(wait=True)
        self.store.close()
