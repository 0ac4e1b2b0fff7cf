"""Protobuf fields <-> sqlite columns, with exact types.

string -> TEXT, bytes -> BLOB, bool and integers -> INTEGER, float/double -> REAL,
enums -> TEXT (the value's name), nested messages and repeated fields -> TEXT (JSON).
Declaring the exact type keeps SQLite's affinity from turning "007" into 7.
"""
from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from operator import attrgetter
from typing import Any

from google.protobuf import json_format
from google.protobuf.descriptor import Descriptor, FieldDescriptor
from google.protobuf.message import Message

# columns the store itself adds; a proto field may not use these names
META_COLUMNS = ("machine", "seq", "time", "server_time", "client_time", "event_type")

_INTEGER_TYPES = {
    FieldDescriptor.TYPE_INT32, FieldDescriptor.TYPE_INT64, FieldDescriptor.TYPE_UINT32,
    FieldDescriptor.TYPE_UINT64, FieldDescriptor.TYPE_SINT32, FieldDescriptor.TYPE_SINT64,
    FieldDescriptor.TYPE_FIXED32, FieldDescriptor.TYPE_FIXED64, FieldDescriptor.TYPE_SFIXED32,
    FieldDescriptor.TYPE_SFIXED64, FieldDescriptor.TYPE_BOOL,
}
_UNSIGNED_64 = {FieldDescriptor.TYPE_UINT64, FieldDescriptor.TYPE_FIXED64}
_INT64_MAX = 2**63 - 1


class NotStorable(ValueError):
    """A value sqlite cannot keep exactly: the event holding it is refused, never stored changed."""


@dataclass(frozen=True)
class Column:
    name: str
    sql_type: str
    to_sql: Callable[[Any], Any] | None      # None: sqlite takes the protobuf value as it is
    set_on: Callable[[Message, Any], None]   # writes a stored value back into a message


def columns_for(descriptor: Descriptor) -> list[Column]:
    columns = []
    for field in descriptor.fields:
        if field.name in META_COLUMNS:
            raise RuntimeError(f"{descriptor.full_name}.{field.name} collides with a store column")
        columns.append(_column(field))
    return columns


def _is_repeated(field: FieldDescriptor) -> bool:
    return field.is_repeated


def _column(field: FieldDescriptor) -> Column:
    name = field.name
    if _is_repeated(field) or field.type == FieldDescriptor.TYPE_MESSAGE:
        return Column(name, "TEXT", _json_dumper(field), _json_setter(field))
    if field.type == FieldDescriptor.TYPE_ENUM:
        names = {v.number: v.name for v in field.enum_type.values}
        numbers = {v.name: v.number for v in field.enum_type.values}
        return Column(name, "TEXT", lambda v: names.get(v, str(v)),
                      lambda m, v: setattr(m, name, numbers[v] if v in numbers else int(v)))
    if field.type in _INTEGER_TYPES:
        if field.type == FieldDescriptor.TYPE_BOOL:
            return Column(name, "INTEGER", None, lambda m, v: setattr(m, name, bool(v)))
        if field.type in _UNSIGNED_64:
            return Column(name, "INTEGER", _signed_64(name), lambda m, v: setattr(m, name, int(v)))
        return Column(name, "INTEGER", None, lambda m, v: setattr(m, name, int(v)))
    if field.type in (FieldDescriptor.TYPE_DOUBLE, FieldDescriptor.TYPE_FLOAT):
        return Column(name, "REAL", _not_nan(name), lambda m, v: setattr(m, name, float(v)))
    if field.type == FieldDescriptor.TYPE_BYTES:
        return Column(name, "BLOB", None, lambda m, v: setattr(m, name, bytes(v)))
    return Column(name, "TEXT", None, lambda m, v: setattr(m, name, str(v)))


def _signed_64(name: str) -> Callable[[int], int]:
    # sqlite integers are signed 64-bit: a uint64 above 2^63-1 would come back as another number
    # (no byte count or mojo amount of a farm gets there, so it is refused rather than encoded)
    def to_sql(value: int) -> int:
        if value > _INT64_MAX:
            raise NotStorable(f"{name} = {value} is above {_INT64_MAX}, the largest whole number the store keeps")
        return value
    return to_sql


def _not_nan(name: str) -> Callable[[float], float]:
    # sqlite stores NaN as NULL; infinities it keeps
    def to_sql(value: float) -> float:
        if value != value:
            raise NotStorable(f"{name} is NaN (not a number), which the store cannot keep")
        return value
    return to_sql


def _json_dumper(field: FieldDescriptor) -> Callable[[Any], str]:
    if field.type == FieldDescriptor.TYPE_MESSAGE:
        if _is_repeated(field):
            return lambda v: json.dumps([json_format.MessageToDict(m) for m in v])
        return lambda v: json.dumps(json_format.MessageToDict(v))
    if field.type == FieldDescriptor.TYPE_ENUM:
        names = {v.number: v.name for v in field.enum_type.values}
        return lambda v: json.dumps([names.get(x, x) for x in v])
    if field.type == FieldDescriptor.TYPE_BYTES:
        return lambda v: json.dumps([x.hex() for x in v])
    return lambda v: json.dumps(list(v))


def _json_setter(field: FieldDescriptor) -> Callable[[Message, Any], None]:
    name = field.name

    def setter(message: Message, value: Any) -> None:
        json_format.ParseDict({field.json_name: json.loads(value)}, message, ignore_unknown_fields=True)

    if field.type == FieldDescriptor.TYPE_BYTES:
        def bytes_setter(message: Message, value: Any) -> None:
            getattr(message, name).extend(bytes.fromhex(x) for x in json.loads(value))
        return bytes_setter
    return setter


class RowBuilder:
    """Reads a message's column values in one C call, converting only the columns that need it."""

    def __init__(self, columns: list[Column]) -> None:
        names = [c.name for c in columns]
        getter = attrgetter(*names) if names else (lambda m: ())
        self._get = getter if len(names) != 1 else (lambda m: (getter(m),))
        self._conversions = [(i, c.to_sql) for i, c in enumerate(columns) if c.to_sql is not None]

    def values(self, message: Message) -> tuple:
        values = self._get(message)
        if not self._conversions:
            return values
        values = list(values)
        for index, convert in self._conversions:
            values[index] = convert(values[index])
        return tuple(values)


def fill_message(columns: list[Column], message: Message, row: dict[str, Any]) -> Message:
    for column in columns:
        value = row.get(column.name)
        if value is not None:
            column.set_on(message, value)
    return message
