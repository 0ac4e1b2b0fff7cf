"""A change of one entity, as the alert rules see it: before and after the event, by sequence number."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from monitor.store.reader import StoreReader, StoredEvent
from protocol.registry import BY_NAME


@dataclass(frozen=True)
class Transition:
    topic: str
    machine: str
    id: str
    before: dict[str, Any] | None      # None: the entity did not exist (an ADD, or any fact)
    after: dict[str, Any] | None       # None: the entity is gone (a DELETE)
    seq: int
    time: float                        # the event's own time, corrected by the server
    server_time: float                 # when the server received it

    @property
    def added(self) -> bool:
        return self.before is None and self.after is not None

    @property
    def deleted(self) -> bool:
        return self.after is None


def transition_of(event: StoredEvent, reader: StoreReader) -> Transition:
    """Build the transition of one stored event; the state before it comes from the event table."""
    before = None
    if event.event_type != "ADD" and not BY_NAME[event.topic].is_fact:
        before = reader.previous(event)
    after = None if event.event_type == "DELETE" else event.values
    return Transition(event.topic, event.machine, event.id, before, after, event.seq, event.time, event.server_time)
