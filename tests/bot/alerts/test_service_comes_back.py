"""service_stopped: a chia service whose row was deleted and is added again RUNNING has recovered
(issue 14, point 6: a restarted client used to delete the rows it had not polled yet, and the alert
that followed never recovered). Events go through the real server; the engine runs by hand."""
from __future__ import annotations

from protocol import chia_pb2
from tests.helpers.alert_harness import Harness, text_of, titles
from tests.helpers.backbone import event
from tests.helpers.farm import ADD, DELETE, UPDATE


def service(state: int, kind: int = ADD, name: str = "harvester"):
    return event("chia_service", kind, id=name, state=state)


def test_a_service_gone_and_added_again_running_recovers_once(server, tmp_path):
    h = Harness(server.database, tmp_path)
    server.send("readd-1", service(chia_pb2.RUNNING))
    assert h.run() == []
    server.send("readd-1", service(chia_pb2.RUNNING, DELETE))
    fired = h.run()
    assert titles(fired) == ["Chia service stopped"] and "chia harvester on readd-1 is gone" in text_of(fired[0])
    server.send("readd-1", service(chia_pb2.RUNNING, ADD))
    assert titles(h.run()) == ["Recovered: Chia service stopped"]
    server.send("readd-1", service(chia_pb2.RUNNING, UPDATE))
    assert h.run() == []
    h.close()


def test_a_service_first_seen_running_or_back_from_failing_says_nothing_more(server, tmp_path):
    h = Harness(server.database, tmp_path)
    server.send("readd-2", service(chia_pb2.RUNNING, name="farmer"))     # a new service: no recovery of nothing
    assert h.run() == []
    server.send("readd-2", service(chia_pb2.FAILING, UPDATE, name="farmer"))
    assert titles(h.run()) == ["Chia service stopped"]
    server.send("readd-2", service(chia_pb2.RUNNING, UPDATE, name="farmer"))
    assert titles(h.run()) == ["Recovered: Chia service stopped"]
    h.close()
