"""Garbage, oversized and inconsistent requests: one-line refusals, the server keeps serving."""
from __future__ import annotations

import os
import socket
import ssl

import grpc
import pytest

from monitor.tls import client_credentials
from protocol import events_pb2, service_pb2, service_pb2_grpc
from tests.helpers.backbone import client_pair, event, query, send_messages, stream_events


def _hello(outbox="o") -> service_pb2.ClientMessage:
    return service_pb2.ClientMessage(hello=service_pb2.Hello(outbox_id=outbox))


def _batch(batch_id, chunk, chunks, *events) -> service_pb2.ClientMessage:
    return service_pb2.ClientMessage(batch=service_pb2.EventBatch(batch_id=batch_id, chunk=chunk, chunks=chunks, events=events))


def _still_serves(farm, name="after") -> None:
    pair = client_pair(farm.data_dir, name)
    replies = stream_events(farm.port, pair, farm.ca, [[event("disk", id="/ok")]])
    assert [r.WhichOneof("kind") for r in replies] == ["welcome", "ack"]
    assert query(farm.database, "PRAGMA integrity_check") == [("ok",)]


def test_garbage_bytes_to_the_port(farm, server):
    for payload in (os.urandom(4096), b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n" + os.urandom(512), b"\x16\x03\x01" + os.urandom(300)):
        with socket.create_connection(("127.0.0.1", farm.port), timeout=5) as raw:
            raw.sendall(payload)
            raw.settimeout(5)
            try:
                raw.recv(100)
            except (TimeoutError, ConnectionResetError):
                pass
    # a TLS client that completes the handshake and then speaks nonsense
    context = ssl.create_default_context(cafile=str(farm.ca))
    pair = client_pair(farm.data_dir, "noise")
    context.load_cert_chain(pair.certificate, pair.key)
    with socket.create_connection(("127.0.0.1", farm.port), timeout=5) as raw:
        with context.wrap_socket(raw, server_hostname="localhost") as tls:
            tls.sendall(os.urandom(2048))
    _still_serves(farm)
    assert server.proc.poll() is None
    assert "Traceback" not in server.log_text()


def test_inconsistent_requests_get_one_line_refusals(farm, server):
    pair = client_pair(farm.data_dir, "confused")
    cases = {
        "batch before hello": [_batch(1, 0, 1, event("disk", id="/a"))],
        "chunk out of order": [_hello(), _batch(1, 1, 3, event("disk", id="/a"))],
        "chunk that does not exist": [_hello(), _batch(1, 5, 2, event("disk", id="/a"))],
        "another batch's chunk": [_hello(), _batch(1, 0, 2, event("disk", id="/a")), _batch(2, 1, 2, event("disk", id="/b"))],
    }
    for what, messages in cases.items():
        replies = send_messages(farm.port, pair, farm.ca, messages)
        refusals = [r.refusal.reason for r in replies if r.WhichOneof("kind") == "refusal"]
        assert len(refusals) == 1, what
        assert "\n" not in refusals[0] and "Traceback" not in refusals[0], what
    assert query(farm.database, "SELECT COUNT(*) FROM disk WHERE machine = 'confused'") == [(0,)]
    _still_serves(farm)


def test_oversized_request_is_refused_and_nothing_is_written(farm, server):
    pair = client_pair(farm.data_dir, "huge")
    too_big = event("process", id="p", cmdline="x" * (17 * 1024 * 1024))  # server.max_message_mb defaults to 16
    with grpc.secure_channel(f"127.0.0.1:{farm.port}", client_credentials(pair, farm.ca),
                             options=[("grpc.max_send_message_length", 64 << 20)]) as channel:
        stub = service_pb2_grpc.MonitorStub(channel)
        with pytest.raises(grpc.RpcError) as refused:
            list(stub.Stream(iter([_hello(), _batch(1, 0, 1, too_big)]), timeout=20))
    assert refused.value.code() == grpc.StatusCode.RESOURCE_EXHAUSTED
    assert query(farm.database, "SELECT COUNT(*) FROM process") == [(0,)]
    _still_serves(farm)


def test_unknown_topic_from_a_newer_client_is_skipped_not_fatal(farm, server):
    pair = client_pair(farm.data_dir, "newer")
    # an event whose payload is a topic this server does not know (field 255 of UpdateEvent)
    raw = events_pb2.UpdateEvent(event_type=events_pb2.ADD).SerializeToString() + bytes([0xFA, 0x0F, 0x02, 0x08, 0x01])
    future_event = events_pb2.UpdateEvent.FromString(raw)
    assert future_event.WhichOneof("payload") is None
    replies = stream_events(farm.port, pair, farm.ca, [[future_event, event("disk", id="/known")]])
    assert [r.WhichOneof("kind") for r in replies] == ["welcome", "ack"]
    assert sorted(query(farm.database, "SELECT id FROM disk WHERE machine = 'newer'")) == [("/known",)]
