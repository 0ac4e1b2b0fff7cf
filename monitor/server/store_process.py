"""The store's writer in a process of its own, so sqlite and the rows it builds never share an
interpreter lock with gRPC: the server ingests on two cores instead of one.

StoreProcess has the Store's writer methods; the Ingest calls them from its one worker thread.
Each call is one message on a pipe and one reply. Batches cross as serialized EventBatch bytes
(what the client sent), so nothing is copied event by event on the way. The child's log records
come back with each reply and are logged here, so the server keeps one log. If the child dies,
the call that finds out fails (the client keeps the batch and sends it again) and the next call
starts a new child. If the database file is deleted or replaced under it, the writer refuses that
commit and every later one (StoreLost) and `on_lost` is told once: the server must stop.
"""
from __future__ import annotations

import logging
import multiprocessing
import signal
import threading
import traceback
from collections.abc import Callable
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any, NamedTuple

from monitor.sqlite_tx import file_identity
from monitor.store.store import ApplyResult, DatabaseLost, Request, Store, check_same_file
from protocol import service_pb2

log = logging.getLogger(__name__)

STOP_TIMEOUT = 15.0   # seconds for the child to commit what it has and close the database
WRITER_ATTEMPTS = 3   # writers a call may see die before it fails


class StoreFailed(Exception):
    """The writer process could not do what was asked; the message says why (one line)."""


class StoreLost(StoreFailed):
    """The database file was deleted or replaced while in use: nothing can be stored any more."""


class BatchRequest(NamedTuple):
    machine: str
    batch: bytes                     # a serialized EventBatch: the events of one whole batch
    clock_offset: float
    delivery: tuple[str, int]        # (outbox_id, batch_id)


class StoreProcess:
    def __init__(self, path: Path, retention_days: dict[str, int] | None = None,
                 on_lost: Callable[[str], None] | None = None) -> None:
        """`on_lost(reason)`: called once, on the calling thread, when the database file is found lost."""
        self.path = path
        self.retention_days = retention_days
        self.on_lost = on_lost
        self.lost: str | None = None     # why nothing can be stored any more (StoreLost)
        self._identity: tuple[int, int] | None = None   # the database file the first writer opened
        self._context = multiprocessing.get_context("spawn")  # fork is unsafe once gRPC has threads
        self._process: multiprocessing.process.BaseProcess | None = None
        self._conn: Connection | None = None
        self._start()

    def _start(self) -> None:
        parent_end, child_end = self._context.Pipe()
        self._process = self._context.Process(target=serve, args=(child_end, self.path, self.retention_days),
                                              name="teafarm-store-writer", daemon=True)
        self._process.start()
        child_end.close()
        self._conn = parent_end
        self._call("ready")   # raises if the child could not open the database
        if self._identity is None:
            self._identity = file_identity(self.path)

    # -- the Store's writer methods -------------------------------------------------------------
    def apply_many(self, requests: list[BatchRequest]) -> list[ApplyResult]:
        return self._call("apply_many", requests)

    def last_batch_id(self, machine: str, outbox_id: str) -> int:
        return self._call("last_batch_id", machine, outbox_id)

    def machine_connected(self, machine: str, version: str, clock_offset: float, address: str) -> None:
        self._call_unless_lost("machine_connected", machine, version, clock_offset, address)

    def machine_seen(self, machine: str, clock_offset: float | None = None) -> None:
        self._call_unless_lost("machine_seen", machine, clock_offset)

    def machine_disconnected(self, machine: str) -> None:
        self._call_unless_lost("machine_disconnected", machine)

    def machines_disconnected(self) -> None:
        self._call_unless_lost("machines_disconnected")

    def prune(self) -> int:
        return self._call_unless_lost("prune") or 0

    def _call_unless_lost(self, name: str, *args: Any) -> Any:
        """Calls whose failure acknowledges nothing (who is online, retention): once the database is
        lost they do nothing, so the loss is said once (by the server, which stops), not per caller."""
        try:
            return self._call(name, *args)
        except StoreLost:
            return None

    def close(self) -> None:
        if self._process is None:
            return
        try:
            self._call("close")
        except StoreFailed:
            pass  # already gone; nothing more to close
        self._process.join(STOP_TIMEOUT)
        if self._process.is_alive():
            log.error("the store writer did not stop within %g s; killing it", STOP_TIMEOUT)
            self._process.kill()
            self._process.join()
        self._conn.close()
        self._process = None

    # -- the pipe --------------------------------------------------------------------------------
    def _call(self, name: str, *args: Any) -> Any:
        # a writer that dies during a call: every call is safe to repeat (a batch is stored once per
        # outbox and batch id, the rest are plain updates), so a new writer takes it and the clients
        # never notice; one that keeps dying on it is reported
        if self.lost is not None and name != "close":
            raise StoreLost(self.lost)
        attempts = 1 if name in ("close", "ready") else WRITER_ATTEMPTS
        for attempt in range(1, attempts + 1):
            try:
                if not self._process.is_alive() and name != "close":
                    self._restart()
                ok, value, records = self._exchange(name, args)
                break
            except StoreLost:
                raise
            except StoreFailed:
                if attempt == attempts:
                    raise
        for level, logger, message in records:
            logging.getLogger(logger).log(level, "%s", message)
        if isinstance(value, StoreLost):
            self._lost(str(value))
        if not ok:
            raise value if isinstance(value, StoreFailed) else StoreFailed(value)
        return value

    def _lost(self, reason: str) -> None:
        if self.lost is None:
            self.lost = reason
            if self.on_lost is not None:
                self.on_lost(reason)

    def _exchange(self, name: str, args: tuple) -> tuple[bool, Any, list]:
        try:
            self._conn.send((name, args))
            return self._conn.recv()
        except (EOFError, OSError):
            self._process.join(1.0)
            raise StoreFailed(f"the store writer process exited (exit code {self._process.exitcode})") from None

    def _restart(self) -> None:
        log.error("the store writer process exited (exit code %s); starting a new one", self._process.exitcode)
        self._conn.close()
        try:   # lost while no writer watched it: a new writer would quietly start a new database
            check_same_file(self.path, self._identity)
        except DatabaseLost as exc:
            self._lost(str(exc))
            raise StoreLost(self.lost) from None
        self._start()


# -- the child ------------------------------------------------------------------------------------

class _RecordsForParent(logging.Handler):
    """Keeps the child's log records until the next reply carries them to the parent."""

    def __init__(self) -> None:
        super().__init__(logging.INFO)
        self.records: list[tuple[int, str, str]] = []
        self._lock = threading.Lock()   # the WAL checkpointer logs from its own thread

    def emit(self, record: logging.LogRecord) -> None:
        self.add(record.levelno, record.name, record.getMessage())
        if record.exc_info:
            self.add(logging.DEBUG, record.name, _traceback(*record.exc_info))

    def add(self, level: int, logger: str, text: str) -> None:
        with self._lock:
            self.records.append((level, logger, text))

    def take(self) -> list[tuple[int, str, str]]:
        with self._lock:
            records, self.records = self.records, []
        return records


def serve(conn: Connection, path: Path, retention_days: dict[str, int] | None) -> None:
    """The child's loop: one call, one reply, until `close` or until the parent is gone."""
    # Ctrl-C reaches the whole process group: the parent decides when the writer stops, after the
    # last batch it acknowledges is committed. SIGTERM stays deadly: multiprocessing ends a child
    # that way when its parent exits without closing it (a failed start), and a transaction it
    # cuts short is rolled back, its batches sent again by their clients.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    records = _RecordsForParent()
    root = logging.getLogger()
    root.addHandler(records)
    root.setLevel(logging.INFO)
    store: Store | None = None
    try:
        store = Store(path, retention_days)
    except Exception as exc:
        conn.recv()  # the parent's "ready"
        conn.send((False, f"cannot open the database {path}: {exc}", records.take()))
        return
    calls = {
        "ready": lambda: None,
        "apply_many": lambda batches: store.apply_many([_request(b) for b in batches]),
        "last_batch_id": store.last_batch_id,
        "machine_connected": store.machine_connected,
        "machine_seen": store.machine_seen,
        "machine_disconnected": store.machine_disconnected,
        "machines_disconnected": store.machines_disconnected,
        "prune": store.prune,
    }
    try:
        while True:
            try:
                name, args = conn.recv()
            except (EOFError, OSError):
                return  # the parent is gone (killed, say, or stopped while starting): close the database and go
            if name == "close":
                store.close()
                store = None
                conn.send((True, None, records.take()))
                return
            try:
                reply = (True, calls[name](*args))
            except DatabaseLost as exc:
                reply = (False, StoreLost(str(exc)))
            except Exception as exc:
                # one line for the server's log; the traceback only at DEBUG (a full disk is no bug)
                records.add(logging.DEBUG, __name__, _traceback(type(exc), exc, exc.__traceback__))
                reply = (False, " ".join(f"{type(exc).__name__}: {exc}".split()))
            try:
                conn.send((*reply, records.take()))
            except OSError:
                return  # the parent died while we worked: what was committed stays committed
    finally:
        if store is not None:
            store.close()


def _traceback(kind, exc, trace) -> str:
    return "".join(traceback.format_exception(kind, exc, trace)).rstrip()


def _request(batch: BatchRequest) -> Request:
    events = service_pb2.EventBatch.FromString(batch.batch).events
    return Request(batch.machine, events, batch.clock_offset, batch.delivery)
