"""Only certificates of the farm CA get in, and a machine can only write as itself."""
from __future__ import annotations

import grpc
import pytest

from monitor.certs import CertPair, create_ca
from protocol import service_pb2, service_pb2_grpc
from tests.helpers.backbone import client_pair, event, query, stream_events

TABLES_WITH_ROWS = "SELECT (SELECT COUNT(*) FROM disk) + (SELECT COUNT(*) FROM disk_events) + (SELECT COUNT(*) FROM machines)"


def test_client_without_certificate_is_refused_and_nothing_is_written(farm, server):
    credentials = grpc.ssl_channel_credentials(root_certificates=farm.ca.read_bytes())
    with grpc.secure_channel(f"127.0.0.1:{farm.port}", credentials) as channel:
        stub = service_pb2_grpc.MonitorStub(channel)
        hello = service_pb2.ClientMessage(hello=service_pb2.Hello(outbox_id="x"))
        batch = service_pb2.ClientMessage(batch=service_pb2.EventBatch(batch_id=1, events=[event("disk", id="/evil")]))
        with pytest.raises(grpc.RpcError) as refused:
            list(stub.Stream(iter([hello, batch]), timeout=10))
    assert refused.value.code() in (grpc.StatusCode.UNAVAILABLE, grpc.StatusCode.UNAUTHENTICATED)
    assert query(farm.database, TABLES_WITH_ROWS) == [(0,)]


def test_certificate_of_another_ca_is_refused(farm, server, tmp_path):
    other_ca = CertPair(tmp_path / "other" / "ca.crt", tmp_path / "other" / "ca.key")
    create_ca(other_ca)
    pair = client_pair(tmp_path / "other-data", "intruder", ca=other_ca)
    with pytest.raises(grpc.RpcError) as refused:
        stream_events(farm.port, pair, farm.ca, [[event("disk", id="/evil")]], timeout=10)
    assert refused.value.code() == grpc.StatusCode.UNAVAILABLE
    assert query(farm.database, TABLES_WITH_ROWS) == [(0,)]


def test_rows_are_filed_under_the_certificate_name_and_other_names_are_refused(farm, server):
    pair = client_pair(farm.data_dir, "harvester-7")
    replies = stream_events(farm.port, pair, farm.ca, [[event("disk", id="/mnt/a", mountpoint="/mnt/a")]], machine="harvester-7")
    assert [r.WhichOneof("kind") for r in replies] == ["welcome", "ack"]
    assert query(farm.database, "SELECT machine FROM disk") == [("harvester-7",)]

    replies = stream_events(farm.port, pair, farm.ca, [[event("disk", id="/mnt/b")]], machine="farmer-1", outbox_id="o2")
    assert [r.WhichOneof("kind") for r in replies] == ["refusal"]
    assert "harvester-7" in replies[0].refusal.reason and "Traceback" not in replies[0].refusal.reason
    assert query(farm.database, "SELECT machine, id FROM disk") == [("harvester-7", "/mnt/a")]
