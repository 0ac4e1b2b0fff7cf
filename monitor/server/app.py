"""The monitoring backend as one object: store, gRPC over mutual TLS, retention job, the
revocation check and the enrolment listener.

`teafarm server` runs it alone; `teafarm bot` embeds it next to the chat transports.
"""
from __future__ import annotations

import asyncio
import logging
from pathlib import Path

import grpc
from apscheduler.schedulers.asyncio import AsyncIOScheduler

from monitor.certs import ca_pair, ensure_server_certs
from monitor.server.enrolment import EnrolmentListener, enrol_address
from monitor.server.assembly import MIB, OpenBatches
from monitor.server.ingest import Ingest
from monitor.server.service import MonitorService
from monitor.server.registry import registry_path
from monitor.server.revocation import Revocation
from monitor.server.store_process import StoreFailed, StoreProcess
from monitor.tls import server_credentials
from monitor.server.settings import ServerSettings
from protocol import service_pb2_grpc
from teafarm.typed_config import ConfigError

log = logging.getLogger(__name__)

RETENTION_EVERY_HOURS = 6
STREAMS_END_TIMEOUT = 5.0    # seconds the stopping server waits for its streams' handlers to finish


class ServerApp:
    def __init__(self, settings: ServerSettings, data_dir: Path, scheduler: AsyncIOScheduler | None = None) -> None:
        """`settings` with every path filled in; `data_dir` holds the farm CA made on a first start."""
        self.settings = settings
        self.data_dir = data_dir
        self.database_path = settings.database
        self._scheduler = scheduler
        self._own_scheduler = scheduler is None
        self.port = 0
        self._server: grpc.aio.Server | None = None
        self._ingest: Ingest | None = None
        self._service: MonitorService | None = None
        self._revocation: Revocation | None = None
        self._enrolment: EnrolmentListener | None = None
        self.enrol_port = 0
        self._lost: asyncio.Future[str] | None = None

    async def start(self) -> None:
        settings = self.settings
        self.data_dir.mkdir(parents=True, exist_ok=True)
        pair = ensure_server_certs(self.data_dir, settings.certificate, settings.key, settings.names)
        loop = asyncio.get_running_loop()
        self._lost = loop.create_future()

        def lost(reason: str) -> None:   # on the ingest's writer thread
            loop.call_soon_threadsafe(lambda: self._lost.done() or self._lost.set_result(reason))

        try:
            self._ingest = Ingest(StoreProcess(self.database_path, settings.retention_days, on_lost=lost))
        except StoreFailed as exc:
            raise ConfigError(f"server.database: {exc}") from None
        limit = settings.max_message_mb * 1024 * 1024
        self._server = grpc.aio.server(options=[
            ("grpc.max_receive_message_length", limit), ("grpc.max_send_message_length", limit),
            ("grpc.keepalive_time_ms", 60_000), ("grpc.http2.min_ping_interval_without_data_ms", 10_000),
            ("grpc.keepalive_permit_without_calls", 1)])
        open_batches = OpenBatches(settings.open_batch_mb * MIB, settings.open_batches_total_mb * MIB,
                                   settings.open_batch_timeout)
        self._service = MonitorService(self._ingest, self.database_path, open_batches)
        self._revocation = self._service.revocation = Revocation(registry_path(self.database_path))
        service_pb2_grpc.add_MonitorServicer_to_server(self._service, self._server)
        try:
            self.port = self._server.add_secure_port(settings.listen, server_credentials(pair, settings.ca))
        except RuntimeError:  # grpcio raises where older versions returned 0
            self.port = 0
        if self.port == 0:
            self._ingest.close()  # its writer process must not outlive this failed start
            raise ConfigError(f"server.listen: cannot listen on {settings.listen} (in use or not a local address)")
        await self._ingest.none_connected()     # the port is ours: no stream is live yet, whatever a killed server left
        await self._server.start()
        self._revocation.start()
        try:
            self._start_enrolment(pair)
        except ConfigError:
            await self.stop()
            raise
        if self._scheduler is None:
            self._scheduler = AsyncIOScheduler()
        self._scheduler.add_job(self._ingest.prune, "interval", hours=RETENTION_EVERY_HOURS, id="retention",
                                replace_existing=True)
        if self._own_scheduler:
            self._scheduler.start()
        host = settings.listen.rsplit(":", 1)[0]
        log.info("teafarm server listening on %s:%d (database %s, certificates in %s)",
                 host, self.port, self.database_path, pair.certificate.parent)

    def _start_enrolment(self, pair) -> None:
        address = enrol_address(self.settings.enrol_listen, self.settings.listen)
        if address is None:
            return
        ca = ca_pair(self.data_dir)
        if not ca.key.is_file():   # the CA lives elsewhere: certificates are made there
            log.warning("server.enrol_listen: no farm CA key in %s, so no enrolment listener", ca.key.parent)
            return
        self._enrolment = EnrolmentListener(address, pair, ca, registry_path(self.database_path))
        self._enrolment.start()
        self.enrol_port = self._enrolment.port

    async def failure(self) -> str:
        """Returns, with one line saying why, once the server cannot go on: its database file was
        deleted or replaced while it ran. It acknowledges nothing more; whoever runs it stops it."""
        reason = await asyncio.shield(self._lost)
        return (f"{reason}: stopping, nothing more is acknowledged (the clients keep what was not and "
                f"send it again to the server's next start)")

    def add_commit_listener(self, listener) -> None:
        """`listener(last_seq)` runs on the event loop after each commit that stored events."""
        self._ingest.add_commit_listener(listener)

    async def stop(self) -> None:
        if self._server is not None:
            await self._server.stop(grace=2)
        if self._service is not None:
            await self._service.drained(STREAMS_END_TIMEOUT)   # each records its machine offline first
        if self._enrolment is not None:
            await asyncio.to_thread(self._enrolment.stop)
        if self._revocation is not None:
            await self._revocation.stop()
        if self._own_scheduler and self._scheduler is not None and self._scheduler.running:
            self._scheduler.shutdown(wait=False)
        if self._ingest is not None:
            self._ingest.close()
        log.info("teafarm server stopped")
