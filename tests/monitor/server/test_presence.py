"""A machine is online while any of its streams is (issue 14, point 7): the end of a restarted
client's old, half-open stream must not mark the running client offline, nor leave its version and
address. A real `teafarm server` process; the old stream is a raw gRPC stream held open."""
from __future__ import annotations

import queue
import time

import grpc

from monitor.tls import client_credentials
from protocol import service_pb2, service_pb2_grpc
from teafarm import __version__
from tests.helpers.backbone import TeafarmProcess, client_pair, query
from tests.helpers.waiting import wait_until


class HeldStream:
    """A stream that said hello and then stays open, silent, until closed (a half-open connection)."""

    def __init__(self, port: int, pair, ca, machine: str, version: str) -> None:
        self._requests: queue.Queue = queue.Queue()
        self._channel = grpc.secure_channel(f"127.0.0.1:{port}", client_credentials(pair, ca))
        self._requests.put(service_pb2.ClientMessage(hello=service_pb2.Hello(
            outbox_id="old-outbox", client_time=time.time(), teafarm_version=version, machine=machine)))
        self._replies = service_pb2_grpc.MonitorStub(self._channel).Stream(iter(self._requests.get, None), timeout=60)
        assert next(self._replies).WhichOneof("kind") == "welcome"

    def close(self) -> None:
        self._requests.put(None)
        list(self._replies)
        self._channel.close()


def machine_row(database, machine: str = "testbox") -> tuple | None:
    rows = query(database, "SELECT connected, teafarm_version, address, connected_since FROM machines WHERE machine = ?",
                 (machine,))
    return rows[0] if rows else None


def test_the_old_stream_ending_leaves_the_running_client_online_with_its_version(farm, server):
    pair = client_pair(farm.data_dir, "testbox")
    old = HeldStream(farm.port, pair, farm.ca, "testbox", "0.0.1-old")
    wait_until(lambda: machine_row(farm.database)[:2] == (1, "0.0.1-old"), 10, "the old stream's hello")
    client = farm.start_client()          # the restarted client: a new stream beside the old one
    try:
        wait_until(lambda: machine_row(farm.database)[1] == __version__, 30, "the new client's hello")
        connected, _, address, since = machine_row(farm.database)
        ends = server.log_text().count("testbox disconnected")
        old.close()                        # the server notices the half-open stream at last
        wait_until(lambda: server.log_text().count("testbox disconnected") > ends, 10, "the old stream's end")
        assert machine_row(farm.database) == (1, __version__, address, since)
    finally:
        client.stop()
    wait_until(lambda: machine_row(farm.database)[0] == 0, 10, "offline once no stream is left")


def test_the_newest_live_stream_names_the_version_after_the_newest_ends(farm, server):
    pair = client_pair(farm.data_dir, "testbox")
    first = HeldStream(farm.port, pair, farm.ca, "testbox", "1.0-first")
    second = HeldStream(farm.port, pair, farm.ca, "testbox", "2.0-second")
    wait_until(lambda: machine_row(farm.database)[1] == "2.0-second", 10, "the second hello")
    second.close()
    wait_until(lambda: machine_row(farm.database)[:2] == (1, "1.0-first"), 10, "the first stream's version back")
    first.close()
    wait_until(lambda: machine_row(farm.database)[0] == 0, 10, "offline")


def test_a_server_killed_with_a_machine_online_starts_with_it_offline(farm, server):
    pair = client_pair(farm.data_dir, "testbox")
    held = HeldStream(farm.port, pair, farm.ca, "testbox", "1.0")
    wait_until(lambda: machine_row(farm.database)[0] == 1, 10, "online")
    server.kill9()
    try:
        held.close()
    except grpc.RpcError:
        pass                               # the stream died with its server
    restarted = TeafarmProcess(["server", "--config", str(farm.config)], farm.folder / "server.log")
    try:
        wait_until(lambda: restarted.log_text().count("listening on") == 2, 30, "the new server")
        assert machine_row(farm.database)[0] == 0   # no stream reached the new server
    finally:
        restarted.stop()
    assert "Traceback" not in restarted.log_text()
