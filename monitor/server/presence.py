"""Which machines have a live stream, and what each live stream said in its hello.

A machine is online while any of its streams is: a restarted client opens a new stream before the
server notices that the old one is gone (a half-open connection ends only at the keepalive timeout),
and the old one's end must not mark a running client offline. The machine's version and address are
those of its newest live stream.
"""
from __future__ import annotations

import itertools
from dataclasses import dataclass


@dataclass(frozen=True)
class Hello:
    version: str
    clock_offset: float
    address: str


class Presence:
    def __init__(self) -> None:
        self._streams: dict[str, dict[int, Hello]] = {}    # machine -> stream number -> its hello, oldest first
        self._numbers = itertools.count(1)

    def opened(self, machine: str, hello: Hello) -> int:
        """A stream said hello; returns its number (to pass to `closed`)."""
        number = next(self._numbers)
        self._streams.setdefault(machine, {})[number] = hello
        return number

    def closed(self, machine: str, number: int) -> Hello | None:
        """A stream ended; returns the newest hello still live for the machine (None: it is offline)."""
        streams = self._streams.get(machine, {})
        streams.pop(number, None)
        if not streams:
            self._streams.pop(machine, None)
            return None
        return streams[max(streams)]

    def online(self, machine: str) -> bool:
        return machine in self._streams
