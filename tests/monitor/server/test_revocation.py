"""`teafarm certs revoke` against a running server (in-process, real gRPC over mutual TLS): the
certificate's open stream ends, new ones are refused, no restart needed, and a restart keeps it so;
certificates copied by hand are known from their first stream and can be revoked by name."""
from __future__ import annotations

import queue
import threading
import time

import grpc
import pytest

from monitor.certs import CertPair
from protocol import service_pb2, service_pb2_grpc
from monitor.tls import client_credentials
from teafarm.typed_config import ConfigError
from tests.helpers.backbone import client_pair, event, stream_events
from tests.helpers.inprocess_server import InProcessServer
from tests.helpers.waiting import wait_until


class OpenStream:
    """A stream that said hello and stays open until the server ends it; `ended` holds how."""

    def __init__(self, port: int, pair: CertPair, ca, machine: str) -> None:
        self._outgoing: queue.Queue = queue.Queue()
        self._outgoing.put(service_pb2.ClientMessage(hello=service_pb2.Hello(outbox_id=machine, client_time=time.time(),
                                                                              machine=machine)))
        self.channel = grpc.secure_channel(f"127.0.0.1:{port}", client_credentials(pair, ca))
        self.replies: list = []
        self.ended: grpc.RpcError | str | None = None
        self._thread = threading.Thread(target=self._read, daemon=True)
        self._thread.start()

    def _messages(self):
        while (message := self._outgoing.get()) is not None:
            yield message

    def _read(self) -> None:
        try:
            for reply in service_pb2_grpc.MonitorStub(self.channel).Stream(self._messages()):
                self.replies.append(reply)
            self.ended = "closed"
        except grpc.RpcError as exc:
            self.ended = exc

    def close(self) -> None:
        self._outgoing.put(None)
        self.channel.close()


def refusal_of(server: InProcessServer, pair: CertPair) -> str:
    try:
        replies = stream_events(server.app.port, pair, server.settings.server_settings().ca, [[event("disk", id="/x")]],
                                machine=pair.certificate.stem, timeout=30)
    except grpc.RpcError as exc:
        return f"{exc.code().name}: {exc.details()}"
    return ",".join(r.WhichOneof("kind") for r in replies)


def test_revoking_ends_the_open_stream_refuses_new_ones_and_survives_a_restart(farm_server):
    ca = farm_server.settings.server_settings().ca
    copied = client_pair(farm_server.data_dir, "copied-1")      # made by hand: the registry learns it at its first stream
    kept = client_pair(farm_server.data_dir, "kept-1")
    stream = OpenStream(farm_server.app.port, copied, ca, "copied-1")
    try:
        wait_until(lambda: stream.replies, 30, "the welcome")
        assert "copied-1" in farm_server.cli("certs", "list")

        printed = farm_server.cli("certs", "revoke", "copied-1")
        assert printed.startswith("revoked copied-1 (serial ")
        wait_until(lambda: stream.ended is not None, 30, "the revoked certificate's stream to end")
    finally:
        stream.close()
    assert stream.ended.code() == grpc.StatusCode.PERMISSION_DENIED and "revoked" in stream.ended.details()
    assert "revoked" in refusal_of(farm_server, copied) and refusal_of(farm_server, copied).startswith("PERMISSION_DENIED")
    assert refusal_of(farm_server, kept) == "welcome,ack"

    farm_server.restart()
    assert "revoked" in refusal_of(farm_server, copied)
    assert refusal_of(farm_server, kept) == "welcome,ack"
    listing = [line.split() for line in farm_server.cli("certs", "list").splitlines()]
    revoked = {row[0]: row[-1] != "no" for row in listing[1:]}
    assert revoked["copied-1"] and not revoked["kept-1"]
    machines = farm_server.cli("ask", "/machines")
    assert "copied-1: REVOKED" in machines and "kept-1: REVOKED" not in machines, machines


def test_revoking_by_serial_and_unknown_targets(farm_server):
    pair = client_pair(farm_server.data_dir, "serial-1")
    assert refusal_of(farm_server, pair) == "welcome,ack"
    serial = next(line.split()[1] for line in farm_server.cli("certs", "list").splitlines() if line.startswith("serial-1 "))
    assert farm_server.cli("certs", "revoke", serial.upper()).startswith(f"revoked serial-1 (serial {serial})")
    assert "revoked" in refusal_of(farm_server, pair)

    def decimal(serial: str) -> str:         # as Python prints a serial
        return str(int(serial, 16))

    def openssl(serial: str) -> str:         # as `openssl x509 -text` prints one: 00:ab:...
        serial = serial.zfill(40)
        return "00:" + ":".join(serial[i:i + 2] for i in range(0, len(serial), 2))

    for name, written in (("serial-2", decimal), ("serial-3", openssl)):
        assert refusal_of(farm_server, client_pair(farm_server.data_dir, name)) == "welcome,ack"
        listed = next(line.split()[1] for line in farm_server.cli("certs", "list").splitlines() if line.startswith(f"{name} "))
        assert farm_server.cli("certs", "revoke", written(listed)).startswith(f"revoked {name}")
    assert farm_server.cli("certs", "revoke", "serial-1") == "serial-1: revoked already\n"
    with pytest.raises(ConfigError, match="nobody: no certificate of that machine name or serial is known"):
        farm_server.cli("certs", "revoke", "nobody")


def test_a_registry_deleted_while_the_server_runs_is_written_back_and_keeps_its_revocations(farm_server):
    gone, later = client_pair(farm_server.data_dir, "gone-1"), client_pair(farm_server.data_dir, "later-1")
    assert refusal_of(farm_server, gone) == "welcome,ack" and refusal_of(farm_server, later) == "welcome,ack"
    farm_server.cli("certs", "revoke", "gone-1")
    farm_server.registry.unlink()

    wait_until(lambda: "gone-1" in farm_server.cli("certs", "list"), 30, "the registry written back")
    assert farm_server.cli("certs", "revoke", "later-1").startswith("revoked later-1")
    assert "revoked" in refusal_of(farm_server, later)

    # replaced by something that is no database: the server goes on with what it knows; `certs` says what is wrong
    garbage = farm_server.registry.with_name("garbage")
    garbage.write_bytes(b"not a database" * 100)
    garbage.replace(farm_server.registry)
    kept = client_pair(farm_server.data_dir, "kept-2")
    assert refusal_of(farm_server, kept) == "welcome,ack" and "revoked" in refusal_of(farm_server, gone)
    with pytest.raises(ConfigError, match="certificates.db: cannot open the certificate registry"):
        farm_server.cli("certs", "list")
    farm_server.registry.unlink()
    wait_until(lambda: "later-1" in farm_server.cli("certs", "list"), 30, "the registry written back again")

    farm_server.restart()
    assert "revoked" in refusal_of(farm_server, gone) and "revoked" in refusal_of(farm_server, later)
