from protocol import events_pb2 as _events_pb2
from google.protobuf.internal import containers as _containers
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class Hello(_message.Message):
    __slots__ = ("teafarm_version", "outbox_id", "client_time", "protocol_version", "machine", "probe")
    TEAFARM_VERSION_FIELD_NUMBER: _ClassVar[int]
    OUTBOX_ID_FIELD_NUMBER: _ClassVar[int]
    CLIENT_TIME_FIELD_NUMBER: _ClassVar[int]
    PROTOCOL_VERSION_FIELD_NUMBER: _ClassVar[int]
    MACHINE_FIELD_NUMBER: _ClassVar[int]
    PROBE_FIELD_NUMBER: _ClassVar[int]
    teafarm_version: str
    outbox_id: str
    client_time: float
    protocol_version: int
    machine: str
    probe: bool
    def __init__(self, teafarm_version: _Optional[str] = ..., outbox_id: _Optional[str] = ..., client_time: _Optional[float] = ..., protocol_version: _Optional[int] = ..., machine: _Optional[str] = ..., probe: _Optional[bool] = ...) -> None: ...

class EventBatch(_message.Message):
    __slots__ = ("batch_id", "chunk", "chunks", "events")
    BATCH_ID_FIELD_NUMBER: _ClassVar[int]
    CHUNK_FIELD_NUMBER: _ClassVar[int]
    CHUNKS_FIELD_NUMBER: _ClassVar[int]
    EVENTS_FIELD_NUMBER: _ClassVar[int]
    batch_id: int
    chunk: int
    chunks: int
    events: _containers.RepeatedCompositeFieldContainer[_events_pb2.UpdateEvent]
    def __init__(self, batch_id: _Optional[int] = ..., chunk: _Optional[int] = ..., chunks: _Optional[int] = ..., events: _Optional[_Iterable[_Union[_events_pb2.UpdateEvent, _Mapping]]] = ...) -> None: ...

class Heartbeat(_message.Message):
    __slots__ = ("client_time",)
    CLIENT_TIME_FIELD_NUMBER: _ClassVar[int]
    client_time: float
    def __init__(self, client_time: _Optional[float] = ...) -> None: ...

class ClientMessage(_message.Message):
    __slots__ = ("hello", "batch", "heartbeat")
    HELLO_FIELD_NUMBER: _ClassVar[int]
    BATCH_FIELD_NUMBER: _ClassVar[int]
    HEARTBEAT_FIELD_NUMBER: _ClassVar[int]
    hello: Hello
    batch: EventBatch
    heartbeat: Heartbeat
    def __init__(self, hello: _Optional[_Union[Hello, _Mapping]] = ..., batch: _Optional[_Union[EventBatch, _Mapping]] = ..., heartbeat: _Optional[_Union[Heartbeat, _Mapping]] = ...) -> None: ...

class Welcome(_message.Message):
    __slots__ = ("machine", "last_batch_id", "server_time")
    MACHINE_FIELD_NUMBER: _ClassVar[int]
    LAST_BATCH_ID_FIELD_NUMBER: _ClassVar[int]
    SERVER_TIME_FIELD_NUMBER: _ClassVar[int]
    machine: str
    last_batch_id: int
    server_time: float
    def __init__(self, machine: _Optional[str] = ..., last_batch_id: _Optional[int] = ..., server_time: _Optional[float] = ...) -> None: ...

class Ack(_message.Message):
    __slots__ = ("batch_id", "refused", "refused_count")
    BATCH_ID_FIELD_NUMBER: _ClassVar[int]
    REFUSED_FIELD_NUMBER: _ClassVar[int]
    REFUSED_COUNT_FIELD_NUMBER: _ClassVar[int]
    batch_id: int
    refused: _containers.RepeatedCompositeFieldContainer[RefusedEvent]
    refused_count: int
    def __init__(self, batch_id: _Optional[int] = ..., refused: _Optional[_Iterable[_Union[RefusedEvent, _Mapping]]] = ..., refused_count: _Optional[int] = ...) -> None: ...

class RefusedEvent(_message.Message):
    __slots__ = ("index", "reason")
    INDEX_FIELD_NUMBER: _ClassVar[int]
    REASON_FIELD_NUMBER: _ClassVar[int]
    index: int
    reason: str
    def __init__(self, index: _Optional[int] = ..., reason: _Optional[str] = ...) -> None: ...

class Refusal(_message.Message):
    __slots__ = ("reason", "batch_id")
    REASON_FIELD_NUMBER: _ClassVar[int]
    BATCH_ID_FIELD_NUMBER: _ClassVar[int]
    reason: str
    batch_id: int
    def __init__(self, reason: _Optional[str] = ..., batch_id: _Optional[int] = ...) -> None: ...

class ServerMessage(_message.Message):
    __slots__ = ("welcome", "ack", "refusal")
    WELCOME_FIELD_NUMBER: _ClassVar[int]
    ACK_FIELD_NUMBER: _ClassVar[int]
    REFUSAL_FIELD_NUMBER: _ClassVar[int]
    welcome: Welcome
    ack: Ack
    refusal: Refusal
    def __init__(self, welcome: _Optional[_Union[Welcome, _Mapping]] = ..., ack: _Optional[_Union[Ack, _Mapping]] = ..., refusal: _Optional[_Union[Refusal, _Mapping]] = ...) -> None: ...

class MachineStateRequest(_message.Message):
    __slots__ = ("max_items_per_chunk",)
    MAX_ITEMS_PER_CHUNK_FIELD_NUMBER: _ClassVar[int]
    max_items_per_chunk: int
    def __init__(self, max_items_per_chunk: _Optional[int] = ...) -> None: ...
