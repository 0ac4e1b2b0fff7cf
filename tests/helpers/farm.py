"""A farm for tests, THROUGH THE REAL SERVER: a `teafarm server` process on 127.0.0.1 with its farm CA,
`teafarm client` processes on the same config, and real gRPC streams over mutual TLS (one client
certificate per machine) to fill its database; below, builders for the events the tests send."""
from __future__ import annotations

import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path

from monitor.certs import CertPair
from protocol import events_pb2
from tests.helpers.backbone import TeafarmProcess, client_pair, event, query, stream_events, write_config
from tests.helpers.ports import free_port
from tests.helpers.waiting import wait_until

ADD, UPDATE, DELETE = events_pb2.ADD, events_pb2.UPDATE, events_pb2.DELETE


@dataclass
class Farm:
    """A farm folder (config.yml, data/ with the database and certs/) served on `port`."""
    folder: Path
    port: int
    config: Path
    process: TeafarmProcess | None = None          # the server start() started
    pairs: dict[str, CertPair] = field(default_factory=dict)

    @classmethod
    def create(cls, folder: Path, port: int | None = None, **sections) -> "Farm":
        """A farm in `folder` on `port` (a free one by default); `sections` go over write_config's defaults."""
        folder.mkdir(parents=True, exist_ok=True)
        port = port or free_port()
        return cls(folder, port, write_config(folder, port, **sections))

    @property
    def data_dir(self) -> Path:
        return self.folder / "data"

    @property
    def database(self) -> Path:
        return self.data_dir / "teafarm.db"

    @property
    def ca(self) -> Path:
        return self.data_dir / "certs" / "ca.crt"

    def start_server(self, log_name: str = "server.log") -> TeafarmProcess:
        """A `teafarm server` once it listens (stopped again if it never does); the caller stops it.
        A restarted server needs a `log_name` of its own (the log is appended to)."""
        server = TeafarmProcess(["server", "--config", str(self.config)], self.folder / log_name)
        try:
            wait_until(lambda: "listening on" in server.log_text() or server.proc.poll() is not None, 30, "server start")
            assert server.proc.poll() is None, server.log_text()
        except BaseException:
            server.stop()
            raise
        return server

    def start_client(self) -> TeafarmProcess:
        return TeafarmProcess(["client", "--config", str(self.config)], self.folder / "client.log")

    def start(self) -> "Farm":
        """Start the farm's own server (`process`, stopped by stop())."""
        self.process = self.start_server()
        return self

    def stop(self) -> None:
        if self.process is not None:
            self.process.stop()

    def send(self, machine: str, *events: events_pb2.UpdateEvent) -> int:
        """Send events as `machine` in one batch; returns the highest sequence number stored."""
        if machine not in self.pairs:
            self.pairs[machine] = client_pair(self.data_dir, machine)
        replies = stream_events(self.port, self.pairs[machine], self.ca, [list(events)],
                                machine=machine, outbox_id=uuid.uuid4().hex)
        refused = [r.refusal.reason for r in replies if r.HasField("refusal")]
        assert not refused, refused
        assert any(r.HasField("ack") for r in replies), replies
        return max_seq(self.database)


def max_seq(database: Path) -> int:
    tables = [r[0] for r in query(database, "SELECT name FROM sqlite_master WHERE type = 'table' AND name LIKE '%_events'")]
    return max(query(database, f'SELECT max(seq) FROM "{t}"')[0][0] or 0 for t in tables)


def start_farm_server(folder: Path, **sections) -> Farm:
    """A farm in `folder` with its server started."""
    return Farm.create(folder, **sections).start()


# -- event builders: one per topic the tests use --------------------------------------------------
def harvester(node: str, connected: bool = True, kind: int = ADD, **fields) -> events_pb2.UpdateEvent:
    values = dict(id=node, node_id=node, connected=connected, host="10.0.0.7")
    values.update(fields)
    return event("harvester", kind, **values)


def identity(node: str, kind: int = ADD) -> events_pb2.UpdateEvent:
    return event("harvester_identity", kind, id=node, node_id=node)


def plot(plot_id: str, node: str, status: int = 1, kind: int = ADD, disk: str = "/mnt/d1", k: int = 32,
         compression: int = 0, size: int = 108_800_000_000, filename: str | None = None) -> events_pb2.UpdateEvent:
    return event("plot", kind, id=plot_id, harvester_node_id=node, status=status, disk=disk, k=k, compression=compression,
                 file_size=size, filename=filename or f"{disk}/plot-k{k}-{plot_id}.plot")


def farming(node: str, minute: float, expected: int = 6, missed: int = 0, late5: int = 0, late28: int = 0,
            p95: float = 0.4, proofs: int = 0, missed_disconnected: int = 0) -> events_pb2.UpdateEvent:
    """answered + late28 + missed = expected, as the client counts them."""
    return event("farming", ADD, timestamp=minute, harvester_node_id=node, minute=minute, sp_expected=expected,
                 sp_answered=expected - missed - late28, sp_missed=missed, sp_late_5s=late5, sp_late_28s=late28,
                 sp_missed_disconnected=missed_disconnected,
                 lookup_p50=p95 / 2, lookup_p95=p95, lookup_max=p95 * 1.5, total_plots=100, proofs=proofs)


def disk(mount: str, percent: float = 40.0, kind: int = ADD, error: str = "", total: int = 10**12) -> events_pb2.UpdateEvent:
    used = int(total * percent / 100)
    return event("disk", kind, id=mount, mountpoint=mount, device="/dev/sdb1", fstype="ext4", total_bytes=total,
                 used_bytes=used, free_bytes=total - used, percent=percent, error=error)


def now() -> float:
    return time.time()

