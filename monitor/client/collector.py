"""The seam between the client and what it collects.

A collector fills its part of a ComputerInfo snapshot; facts (a proof, a minute of farming
statistics) are queued and taken by the client after each snapshot. A collector that notices a
change worth sending now (a harvester gone) calls `wake()` so the client does not wait for the next
interval. One collector failing never stops the others: the client logs it and keeps going.
"""
from __future__ import annotations

import time
from collections.abc import Callable

from google.protobuf.message import Message

from protocol.registry import BY_NAME
from protocol import events_pb2


class Collector:
    name = "collector"
    # the ComputerInfo fields this collector fills: when it fails, the client keeps their last
    # state instead of reading the empty result as "everything deleted"
    topics: tuple[str, ...] = ()

    def __init__(self) -> None:
        self._facts: list[events_pb2.UpdateEvent] = []
        self.wake: Callable[[], None] = lambda: None  # set by the client

    async def start(self) -> None:
        """Start background work (log followers, websocket listeners). Default: none."""

    async def collect(self, snapshot: events_pb2.ComputerInfo) -> set[str] | None:
        """Fill this collector's topics in `snapshot`.

        May return the snapshot fields it left out because they did not change since its last
        collect: the client then keeps their state without rebuilding and diffing them (a
        100,000-plot list costs ~0.5 s of CPU per snapshot otherwise).
        """
        raise NotImplementedError

    async def stop(self) -> None:
        """Stop background work."""

    def add_fact(self, topic: str, message: Message, timestamp: float | None = None) -> None:
        event = events_pb2.UpdateEvent(event_type=events_pb2.ADD, timestamp=timestamp or time.time())
        if topic not in BY_NAME or not BY_NAME[topic].is_fact:
            raise ValueError(f"{topic} is not a fact topic")
        getattr(event, topic).CopyFrom(message)
        self._facts.append(event)

    def take_facts(self) -> list[events_pb2.UpdateEvent]:
        facts, self._facts = self._facts, []
        return facts
