"""Helpers for tests that run the real backbone: configs, teafarm subprocesses, a raw gRPC sender.

Ports, waiting and tmpfs disks are in tests/helpers/ports.py, waiting.py and tmpfs.py; a whole farm
(server, clients, certificates) is tests/helpers/farm.py."""
from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
import time
from contextlib import closing
from pathlib import Path

import grpc
import yaml

from monitor.certs import CertPair, ca_pair, issue
from monitor.tls import client_credentials
from protocol import events_pb2, service_pb2, service_pb2_grpc

TEAFARM = [str(Path(sys.executable).parent / "teafarm")]  # the installed console script


def write_config(folder: Path, port: int, **sections) -> Path:
    """A config with its own data folder and port; `sections` are merged over the defaults here."""
    config = {
        "data_dir": str(folder / "data"),
        "server": {"listen": f"127.0.0.1:{port}"},
        "client": {"server": f"127.0.0.1:{port}", "interval": 0.5, "heartbeat": 2.0, "machine_name": "testbox"},
        "chia": {"enabled": False},
    }
    for name, values in sections.items():
        if isinstance(values, dict):
            config.setdefault(name, {}).update(values)
        else:
            config[name] = values
    path = folder / "config.yml"
    path.write_text(yaml.safe_dump(config))
    return path


class TeafarmProcess:
    """`teafarm <args>` as a real subprocess, its output in a log file."""

    def __init__(self, args: list[str], log_path: Path, env: dict | None = None) -> None:
        self.log_path = log_path
        self._log = open(log_path, "ab")
        self.proc = subprocess.Popen(TEAFARM + args, stdin=subprocess.DEVNULL, stdout=self._log, stderr=subprocess.STDOUT,
                                     env={**os.environ, "PYTHONUNBUFFERED": "1", **(env or {})}, cwd=log_path.parent)

    def log_text(self) -> str:
        return self.log_path.read_text(errors="replace")

    def stop(self, sig: int = signal.SIGTERM, timeout: float = 30) -> int:
        if self.proc.poll() is None:
            self.proc.send_signal(sig)
            try:
                self.proc.wait(timeout)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self._log.close()
        return self.proc.returncode

    def kill9(self) -> None:
        self.stop(signal.SIGKILL)


def query(database: Path, sql: str, params: tuple = ()) -> list[tuple]:
    with closing(sqlite3.connect(f"file:{database}?mode=ro", uri=True, timeout=10)) as conn:
        return conn.execute(sql, params).fetchall()


def client_pair(data_dir: Path, name: str, ca: CertPair | None = None) -> CertPair:
    """A client certificate for `name`, signed by the farm CA in data_dir (or by `ca`)."""
    pair = CertPair(data_dir / "certs" / f"{name}.crt", data_dir / "certs" / f"{name}.key")
    issue(ca or ca_pair(data_dir), pair, name, [name], server=False)
    return pair


def stream_events(port: int, pair: CertPair, ca_cert: Path, batches: list[list[events_pb2.UpdateEvent]],
                  machine: str = "", outbox_id: str = "test-outbox", timeout: float = 20) -> list[service_pb2.ServerMessage]:
    """Send batches over one real Stream (hello first) and return every server reply."""
    messages = [service_pb2.ClientMessage(hello=service_pb2.Hello(outbox_id=outbox_id, client_time=time.time(),
                                                                  teafarm_version="test", machine=machine))]
    for number, events in enumerate(batches, start=1):
        messages.append(service_pb2.ClientMessage(batch=service_pb2.EventBatch(batch_id=number, chunks=1, events=events)))
    return send_messages(port, pair, ca_cert, messages, timeout)


def send_messages(port: int, pair: CertPair, ca_cert: Path, messages: list[service_pb2.ClientMessage],
                  timeout: float = 20) -> list[service_pb2.ServerMessage]:
    with grpc.secure_channel(f"127.0.0.1:{port}", client_credentials(pair, ca_cert)) as channel:
        stub = service_pb2_grpc.MonitorStub(channel)
        return list(stub.Stream(iter(messages), timeout=timeout))


def event(topic: str, event_type: int = events_pb2.ADD, timestamp: float | None = None, **fields) -> events_pb2.UpdateEvent:
    update = events_pb2.UpdateEvent(event_type=event_type, timestamp=timestamp if timestamp is not None else time.time())
    payload = getattr(update, topic)
    payload.SetInParent()
    for key, value in fields.items():
        if isinstance(value, list):
            getattr(payload, key).extend(value)
        else:
            setattr(payload, key, value)
    return update
