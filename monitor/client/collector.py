"""The seam between the client and what it collects.

A collector fills its part of a ComputerInfo snapshot; facts (a proof, a minute of farming
statistics) are queued and taken by the client after each snapshot. A collector that reads them
from a source it can read again (a log) gives a `checkpoint` with them (where it read to), stored in
the outbox in the same transaction as the facts, and handed back by `restore` when the client
starts again: a kill at any point neither loses those facts nor sends them twice.
A collector that notices a change worth sending now (a harvester gone) calls `wake()` so the client
does not wait for the next interval. One collector failing never stops the others: the client logs
it and keeps going.
"""
from __future__ import annotations

import time
from collections.abc import Callable

from google.protobuf.message import Message

from protocol.registry import BY_NAME
from protocol import events_pb2


# snapshot fields whose last state stands: all of the field (None), or the entities the predicate
# picks (a chia service that has not answered yet owns some rows of a field others fill too)
Kept = dict[str, Callable[[Message], bool] | None]


def kept_of(result: Kept | None) -> Kept:
    return dict(result or {})


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

    async def collect(self, snapshot: events_pb2.ComputerInfo) -> Kept | None:
        """Fill this collector's topics in `snapshot`.

        May return what it left out whose last state stands (`Kept`): the client keeps it and does
        not diff it. Either it did not change since the last
        collect (a 100,000-plot list costs ~0.5 s of CPU per snapshot otherwise), or the collector
        does not know it yet (a chia service that has not answered since the client started): what
        is not known yet is unknown, not empty, and must never be diffed into deletions.
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

    def checkpoint(self) -> str | None:
        """What to store with the facts taken last (text), so that `restore` resumes right after
        them. Default: nothing."""
        return None

    def restore(self, checkpoint: str) -> None:
        """The checkpoint stored last, given before `start`. Default: nothing to do."""

    def facts_stored(self) -> None:
        """The facts taken last (and the checkpoint) are in the client's outbox now; called after
        every snapshot, with or without facts. Default: nothing to do."""
