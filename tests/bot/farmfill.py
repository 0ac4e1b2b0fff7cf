"""Fill a farm database THROUGH THE REAL SERVER: a `teafarm server` process on 127.0.0.1 and
real gRPC streams over mutual TLS, one client certificate per machine."""
from __future__ import annotations

import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path

from monitor.certs import CertPair
from protocol import events_pb2, service_pb2
from tests.helpers.backbone import TeafarmProcess, client_pair, event, free_port, query, stream_events, wait_until, write_config

ADD, UPDATE, DELETE = events_pb2.ADD, events_pb2.UPDATE, events_pb2.DELETE


@dataclass
class FarmServer:
    folder: Path
    port: int
    config: Path
    process: TeafarmProcess | None = None
    pairs: dict[str, CertPair] = field(default_factory=dict)

    @property
    def data_dir(self) -> Path:
        return self.folder / "data"

    @property
    def database(self) -> Path:
        return self.data_dir / "teafarm.db"

    def start(self) -> "FarmServer":
        self.process = TeafarmProcess(["server", "--config", str(self.config)], self.folder / "server.log")
        wait_until(lambda: "listening on" in self.process.log_text() or self.process.proc.poll() is not None, 30, "server start")
        assert self.process.proc.poll() is None, self.process.log_text()
        return self

    def stop(self) -> None:
        if self.process is not None:
            self.process.stop()

    def send(self, machine: str, *events: events_pb2.UpdateEvent) -> int:
        """Send events as `machine` in one batch; returns the highest sequence number stored."""
        if machine not in self.pairs:
            self.pairs[machine] = client_pair(self.data_dir, machine)
        replies = stream_events(self.port, self.pairs[machine], self.data_dir / "certs" / "ca.crt", [list(events)],
                                machine=machine, outbox_id=uuid.uuid4().hex)
        refused = [r.refusal.reason for r in replies if r.HasField("refusal")]
        assert not refused, refused
        assert any(r.HasField("ack") for r in replies), replies
        return max_seq(self.database)


def max_seq(database: Path) -> int:
    tables = [r[0] for r in query(database, "SELECT name FROM sqlite_master WHERE type = 'table' AND name LIKE '%_events'")]
    return max(query(database, f'SELECT max(seq) FROM "{t}"')[0][0] or 0 for t in tables)


def start_farm_server(folder: Path, **sections) -> FarmServer:
    folder.mkdir(parents=True, exist_ok=True)
    port = free_port()
    return FarmServer(folder, port, write_config(folder, port, **sections)).start()


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
            p95: float = 0.4, proofs: int = 0) -> events_pb2.UpdateEvent:
    return event("farming", ADD, timestamp=minute, harvester_node_id=node, minute=minute, sp_expected=expected,
                 sp_answered=expected - missed, sp_missed=missed, sp_late_5s=late5, sp_late_28s=late28,
                 lookup_p50=p95 / 2, lookup_p95=p95, lookup_max=p95 * 1.5, total_plots=100, proofs=proofs)


def disk(mount: str, percent: float = 40.0, kind: int = ADD, error: str = "", total: int = 10**12) -> events_pb2.UpdateEvent:
    used = int(total * percent / 100)
    return event("disk", kind, id=mount, mountpoint=mount, device="/dev/sdb1", fstype="ext4", total_bytes=total,
                 used_bytes=used, free_bytes=total - used, percent=percent, error=error)


def now() -> float:
    return time.time()


__all__ = ["ADD", "UPDATE", "DELETE", "FarmServer", "start_farm_server", "event", "harvester", "identity", "plot",
           "farming", "disk", "now", "service_pb2"]
