"""Snapshot diff: the events that turn the last state the server confirmed into the new one.

The base is kept per topic as {id: message} (single topics use id ""), so applying an event to it
is a dict update and a 100k-plot topic is compared entry by entry without copying.
"""
from __future__ import annotations

from collections.abc import Callable

from google.protobuf.message import Message

from protocol.registry import STATE_TOPICS, Topic
from protocol import events_pb2

Entities = dict[str, Message]
State = dict[str, Entities]        # topic name -> entities


def entities_of(parts: list[events_pb2.ComputerInfo], topic: Topic) -> Entities:
    """A topic's entities from the snapshot parts the collectors filled (not merged: no copies)."""
    entities: Entities = {}
    for part in parts:
        if topic.keyed:
            entities.update((m.id, m) for m in getattr(part, topic.snapshot_field))
        elif part.HasField(topic.snapshot_field):
            entities[""] = getattr(part, topic.snapshot_field)
    return entities


def keep_unknown(new: Entities, old: Entities, unknown: Callable[[Message], bool]) -> Entities:
    """`new` with every entity of `old` whose source does not know yet (`unknown`) in its last state:
    a source that has not answered is not a source that lost them, nor one that gave them away.
    Where another source reports the same key (one file seen by two harvesters), the row stays the
    silent source's until it answers; replacing it would move the row between harvesters for a
    while (a false "unreadable plots" and its recovery after a client restart)."""
    kept = {key: message for key, message in old.items()
            if unknown(message) and (key not in new or new[key] != message)}
    return {**new, **kept} if kept else new


def state_of(snapshot: events_pb2.ComputerInfo) -> State:
    return {topic.name: entities_of([snapshot], topic) for topic in STATE_TOPICS}


def diff_topic(topic: Topic, old: Entities, new: Entities, now: float) -> list[events_pb2.UpdateEvent]:
    events = []
    for key, message in new.items():
        before = old.get(key)
        if before is None:
            events.append(make_event(topic, events_pb2.ADD, message, now))
        elif before != message:
            events.append(make_event(topic, events_pb2.UPDATE, message, now))
    for key in old.keys() - new.keys():
        events.append(deletion(topic, key, now))
    return events


def make_event(topic: Topic, event_type: int, message: Message, now: float) -> events_pb2.UpdateEvent:
    event = events_pb2.UpdateEvent(event_type=event_type, timestamp=now)
    getattr(event, topic.name).CopyFrom(message)
    return event


def deletion(topic: Topic, key: str, now: float) -> events_pb2.UpdateEvent:
    event = events_pb2.UpdateEvent(event_type=events_pb2.DELETE, timestamp=now)
    payload = getattr(event, topic.name)
    if topic.keyed:
        payload.id = key
    else:
        payload.SetInParent()
    return event


def entity_key(topic: Topic, event: events_pb2.UpdateEvent) -> str:
    return getattr(event, topic.name).id if topic.keyed else ""


def apply_changes(state: State, topic: Topic, entities: Entities, changes: list[events_pb2.UpdateEvent]) -> None:
    """Move the base along with queued changes, sharing the collected messages (not the events'
    copies), so a 100k-plot base costs one copy of the plots, not two."""
    base = state.setdefault(topic.name, {})
    for event in changes:
        key = entity_key(topic, event)
        if event.event_type == events_pb2.DELETE:
            base.pop(key, None)
        else:
            base[key] = entities[key]
