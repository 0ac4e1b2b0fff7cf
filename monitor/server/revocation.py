"""Revoked certificates are refused at every stream start, and a stream whose certificate is revoked
while it runs is ended within seconds: `teafarm certs revoke` writes the registry, this reads it,
no server restart.

Every certificate a stream starts with is recorded in the registry (certificates copied by hand
before enrolment existed can be revoked by name too). A registry deleted or replaced while the
server runs is written back from what the server holds, so no revocation is lost.
"""
from __future__ import annotations

import asyncio
import logging
import sqlite3
import threading
from collections.abc import AsyncIterator
from pathlib import Path

import grpc
from cryptography.x509.oid import NameOID

from monitor.certs import serial_hex
from monitor.server.registry import Registry
from monitor.tls import peer_certificate
from teafarm.typed_config import ConfigError

log = logging.getLogger(__name__)

WATCH_INTERVAL = 1.0     # seconds between reads of the revoked serials while streams are open


class Revocation:
    def __init__(self, registry: Path) -> None:
        self._registry = Registry(registry)
        self._lock = threading.Lock()                       # one worker thread at a time on the connection
        self._streams: dict[str, set[asyncio.Event]] = {}   # certificate serial -> set to end each of its open streams
        self._watch: asyncio.Task | None = None
        self._trouble = ""                                  # the last registry problem logged, so it is logged once

    def start(self) -> None:
        self._watch = asyncio.get_running_loop().create_task(self._watch_revocations(), name="revocations")

    async def stop(self) -> None:
        if self._watch is not None:
            self._watch.cancel()
            await asyncio.gather(self._watch, return_exceptions=True)
        self._registry.close()

    async def admit(self, context: grpc.aio.ServicerContext) -> str | None:
        """At the start of a call: records its certificate; returns the refusal line when the
        certificate is revoked (None: go on)."""
        cert = peer_certificate(context)
        if cert is None:
            return None          # the service refuses a call without a client certificate itself
        name, serial = _name(cert), serial_hex(cert.serial_number)
        try:
            revoked_at = await asyncio.to_thread(self._locked, lambda: self._seen(cert, name, context.peer()))
        except sqlite3.Error as exc:       # a busy or broken registry must not let a revoked certificate in
            log.error("%s: cannot read the certificate registry (%s): refusing the call", name, exc)
            return "the server cannot check certificates right now (see the server log)"
        if revoked_at is not None:
            log.warning("refused %s: its certificate (serial %s) is revoked", name, serial)
            return _revoked(name, serial)
        return None

    async def until_revoked(self, context: grpc.aio.ServicerContext, requests: AsyncIterator) -> AsyncIterator:
        """The messages of an admitted call until its certificate is revoked; then the call ends
        with PERMISSION_DENIED. (Cancelling the handler would not do: gRPC then sends no status
        and the client waits on a call that is over.)"""
        cert = peer_certificate(context)
        serial = serial_hex(cert.serial_number) if cert is not None else ""
        revoked = asyncio.Event()
        self._streams.setdefault(serial, set()).add(revoked)
        revocation = asyncio.ensure_future(revoked.wait())
        messages = requests.__aiter__()
        read: asyncio.Future | None = None
        try:
            while True:
                read = asyncio.ensure_future(messages.__anext__())
                read.add_done_callback(_retrieved)     # a read the call's end overtook is nobody's error
                await asyncio.wait({read, revocation}, return_when=asyncio.FIRST_COMPLETED)
                if not read.done():
                    read.cancel()
                    await context.abort(grpc.StatusCode.PERMISSION_DENIED, _revoked(_name(cert), serial))
                try:
                    message = read.result()
                except StopAsyncIteration:
                    return
                yield message
        finally:
            revocation.cancel()
            if read is not None:
                read.cancel()
            calls = self._streams.get(serial, set())
            calls.discard(revoked)
            if not calls:
                self._streams.pop(serial, None)

    def _locked(self, function):
        with self._lock:     # and on the registry of the moment: _keep_registry may swap it
            return function()

    def _seen(self, cert, name: str, peer: str) -> float | None:
        try:
            self._keep_registry()     # before the watcher's next look: a deleted registry is not written
        except ConfigError as exc:    # the file at the path is no registry: the one the server has still answers
            self._tell(exc)
        return self._registry.seen(cert, name, peer)

    def _tell(self, trouble: Exception) -> None:
        if str(trouble) != self._trouble:     # once, not every second
            self._trouble = str(trouble)
            log.warning("certificate registry: %s", trouble)

    def _keep_registry(self) -> None:
        """certificates.db deleted or replaced while the server runs: without this, `certs revoke` would
        write a file the server never reads, and the next start would forget every revocation."""
        if self._registry.moved():
            self._registry = self._registry.restored()
            log.warning("%s was deleted or replaced while the server ran: wrote back the certificates, revocations "
                        "and tokens the server knew", self._registry.path)

    async def _watch_revocations(self) -> None:
        while True:
            await asyncio.sleep(WATCH_INTERVAL)
            try:
                await asyncio.to_thread(self._locked, self._keep_registry)
                if not self._streams:
                    continue
                revoked = await asyncio.to_thread(self._locked, lambda: self._registry.revoked_serials())
            except (sqlite3.Error, ConfigError) as exc:
                self._tell(exc)
                continue
            for serial in revoked & self._streams.keys():
                calls = self._streams.pop(serial)
                log.warning("certificate %s was revoked: ending its %d open stream(s)", serial, len(calls))
                for call in calls:
                    call.set()


def _retrieved(future: asyncio.Future) -> None:
    # a server stopping ends the call before its last read: that read's end of stream (or "server
    # stopped") is nobody's to await, and asyncio would log it as a traceback per stream
    if not future.cancelled():
        future.exception()


def _name(cert) -> str:
    names = cert.subject.get_attributes_for_oid(NameOID.COMMON_NAME)
    return str(names[0].value) if names else "?"


def _revoked(name: str, serial: str) -> str:
    # the client skips a token while its certificate exists: say to move it away, or the advice loops
    return (f"this certificate (machine {name}, serial {serial}) is revoked: to enrol the machine again, move its "
            f"certificate and key away and start it with a new token (teafarm certs token {name})")
