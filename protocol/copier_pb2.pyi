from google.protobuf.internal import enum_type_wrapper as _enum_type_wrapper
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class CopyState(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    COPY_STATE_UNKNOWN: _ClassVar[CopyState]
    QUEUED: _ClassVar[CopyState]
    COPYING: _ClassVar[CopyState]
    DONE: _ClassVar[CopyState]
    FAILED: _ClassVar[CopyState]
    INTERRUPTED: _ClassVar[CopyState]

class TargetState(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    TARGET_STATE_UNKNOWN: _ClassVar[TargetState]
    AVAILABLE: _ClassVar[TargetState]
    FULL: _ClassVar[TargetState]
    RETIRED: _ClassVar[TargetState]
    EXCLUDED: _ClassVar[TargetState]
COPY_STATE_UNKNOWN: CopyState
QUEUED: CopyState
COPYING: CopyState
DONE: CopyState
FAILED: CopyState
INTERRUPTED: CopyState
TARGET_STATE_UNKNOWN: TargetState
AVAILABLE: TargetState
FULL: TargetState
RETIRED: TargetState
EXCLUDED: TargetState

class CopyJob(_message.Message):
    __slots__ = ("id", "plot", "source", "target", "state", "bytes_total", "bytes_done", "rate_bytes_per_s", "started", "finished", "error")
    ID_FIELD_NUMBER: _ClassVar[int]
    PLOT_FIELD_NUMBER: _ClassVar[int]
    SOURCE_FIELD_NUMBER: _ClassVar[int]
    TARGET_FIELD_NUMBER: _ClassVar[int]
    STATE_FIELD_NUMBER: _ClassVar[int]
    BYTES_TOTAL_FIELD_NUMBER: _ClassVar[int]
    BYTES_DONE_FIELD_NUMBER: _ClassVar[int]
    RATE_BYTES_PER_S_FIELD_NUMBER: _ClassVar[int]
    STARTED_FIELD_NUMBER: _ClassVar[int]
    FINISHED_FIELD_NUMBER: _ClassVar[int]
    ERROR_FIELD_NUMBER: _ClassVar[int]
    id: str
    plot: str
    source: str
    target: str
    state: CopyState
    bytes_total: int
    bytes_done: int
    rate_bytes_per_s: float
    started: float
    finished: float
    error: str
    def __init__(self, id: _Optional[str] = ..., plot: _Optional[str] = ..., source: _Optional[str] = ..., target: _Optional[str] = ..., state: _Optional[_Union[CopyState, str]] = ..., bytes_total: _Optional[int] = ..., bytes_done: _Optional[int] = ..., rate_bytes_per_s: _Optional[float] = ..., started: _Optional[float] = ..., finished: _Optional[float] = ..., error: _Optional[str] = ...) -> None: ...

class CopyTarget(_message.Message):
    __slots__ = ("id", "free_bytes", "reserved_bytes", "state", "writers", "error")
    ID_FIELD_NUMBER: _ClassVar[int]
    FREE_BYTES_FIELD_NUMBER: _ClassVar[int]
    RESERVED_BYTES_FIELD_NUMBER: _ClassVar[int]
    STATE_FIELD_NUMBER: _ClassVar[int]
    WRITERS_FIELD_NUMBER: _ClassVar[int]
    ERROR_FIELD_NUMBER: _ClassVar[int]
    id: str
    free_bytes: int
    reserved_bytes: int
    state: TargetState
    writers: int
    error: str
    def __init__(self, id: _Optional[str] = ..., free_bytes: _Optional[int] = ..., reserved_bytes: _Optional[int] = ..., state: _Optional[_Union[TargetState, str]] = ..., writers: _Optional[int] = ..., error: _Optional[str] = ...) -> None: ...
