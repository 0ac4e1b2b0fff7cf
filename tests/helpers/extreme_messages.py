"""Hypothesis strategies for the generated protobuf messages with every field at its extremes (0,
negative, 2^63, 2^64-1, NaN, infinities, huge strings and bytes, unknown enum numbers), and what the
store must do with each event: keep it exactly, or refuse it (a value sqlite cannot hold)."""
from __future__ import annotations

import math

from google.protobuf.descriptor import Descriptor, FieldDescriptor
from google.protobuf.message import Message
from hypothesis import strategies as st

from protocol import events_pb2
from protocol.registry import TOPICS, Topic

F = FieldDescriptor
INT_RANGES = {
    F.TYPE_INT32: (-2**31, 2**31 - 1), F.TYPE_SINT32: (-2**31, 2**31 - 1), F.TYPE_SFIXED32: (-2**31, 2**31 - 1),
    F.TYPE_INT64: (-2**63, 2**63 - 1), F.TYPE_SINT64: (-2**63, 2**63 - 1), F.TYPE_SFIXED64: (-2**63, 2**63 - 1),
    F.TYPE_UINT32: (0, 2**32 - 1), F.TYPE_FIXED32: (0, 2**32 - 1),
    F.TYPE_UINT64: (0, 2**64 - 1), F.TYPE_FIXED64: (0, 2**64 - 1),
}
INT64_MAX = 2**63 - 1
HUGE = 100_000          # characters or bytes of the huge strings


def _edges(low: int, high: int) -> list[int]:
    return [v for v in (low, -1, 0, 1, 2**31 - 1, 2**32 - 1, INT64_MAX, 2**63, high) if low <= v <= high]


def _floats(width: int) -> st.SearchStrategy[float]:
    # sqlite keeps -0.0 as 0.0: equal, only the sign of zero is lost, which no farm figure has
    edges = st.sampled_from([math.nan, math.inf, -math.inf, 5e-324, 1.7976931348623157e308] if width == 64
                            else [math.nan, math.inf, -math.inf, 1e-45, 3.4028234663852886e38])
    return (edges | st.floats(width=width)).map(lambda x: 0.0 if x == 0 else x)


def _scalar(field: FieldDescriptor, depth: int) -> st.SearchStrategy:
    if field.type in INT_RANGES:
        low, high = INT_RANGES[field.type]
        return st.sampled_from(_edges(low, high)) | st.integers(low, high)
    if field.type == F.TYPE_BOOL:
        return st.booleans()
    if field.type == F.TYPE_DOUBLE:
        return _floats(64)
    if field.type == F.TYPE_FLOAT:
        return _floats(32)
    if field.type == F.TYPE_STRING:
        return st.text(max_size=20) | st.just("é\x00" * (HUGE // 2))
    if field.type == F.TYPE_BYTES:
        return st.binary(max_size=20) | st.just(b"\xff\x00" * (HUGE // 2))
    if field.type == F.TYPE_ENUM:
        return st.sampled_from([v.number for v in field.enum_type.values]) | st.integers(-2**31, 2**31 - 1)
    return messages(field.message_type, depth + 1)


def messages(descriptor: Descriptor, depth: int = 0) -> st.SearchStrategy[Message]:
    """A message of this type with some of its fields set to extreme values."""
    from google.protobuf import message_factory

    cls = message_factory.GetMessageClass(descriptor)
    if depth > 2:
        return st.just(cls())
    values = {}
    for field in descriptor.fields:
        value = _scalar(field, depth)
        values[field.name] = st.lists(value, max_size=3) if field.is_repeated else value
    return st.fixed_dictionaries({}, optional=values).map(lambda chosen: _build(cls, chosen))


def _build(cls: type[Message], chosen: dict) -> Message:
    message = cls()
    for name, value in chosen.items():
        if isinstance(value, Message):
            getattr(message, name).CopyFrom(value)
        elif isinstance(value, list):
            container = getattr(message, name)
            for item in value:
                container.add().CopyFrom(item) if isinstance(item, Message) else container.append(item)
        else:
            setattr(message, name, value)
    return message


def update_events() -> st.SearchStrategy[events_pb2.UpdateEvent]:
    """An event of any topic, any type, with an extreme time and payload."""
    return st.sampled_from(TOPICS).flatmap(lambda topic: st.builds(
        _event, st.just(topic), messages(topic.message.DESCRIPTOR),
        st.sampled_from([events_pb2.ADD, events_pb2.UPDATE, events_pb2.DELETE]),
        st.sampled_from([math.nan, math.inf, -math.inf, 0.0, 1.7e9]) | st.floats(-1e12, 1e12)))


def _event(topic: Topic, payload: Message, event_type: int, timestamp: float) -> events_pb2.UpdateEvent:
    event = events_pb2.UpdateEvent(event_type=event_type, timestamp=timestamp)
    getattr(event, topic.name).CopyFrom(payload)
    return event


def not_storable(event: events_pb2.UpdateEvent) -> bool:
    """What the store cannot keep exactly: a time that is no finite number, or (the values of a
    deleted entity are not stored) a top-level uint64 above 2^63-1 or a NaN; values inside nested
    and repeated fields are stored as JSON, which keeps them all."""
    if not math.isfinite(event.timestamp):
        return True
    if event.event_type == events_pb2.DELETE:
        return False
    payload = getattr(event, event.WhichOneof("payload"))
    for field, value in payload.ListFields():
        if field.is_repeated or field.type == F.TYPE_MESSAGE:
            continue
        if field.type in (F.TYPE_UINT64, F.TYPE_FIXED64) and value > INT64_MAX:
            return True
        if field.type in (F.TYPE_DOUBLE, F.TYPE_FLOAT) and value != value:
            return True
    return False
