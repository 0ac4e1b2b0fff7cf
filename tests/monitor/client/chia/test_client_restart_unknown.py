"""A restarted `teafarm client` does not know the chia services it has not polled yet: unknown, not
empty, never diffed into deletions (issue 14, point 6). Real client and server processes; chia is
the recorded-payload fake, its services slow to answer after the restart."""
from __future__ import annotations

from tests.helpers.alert_harness import Harness, titles
from tests.helpers.backbone import query, write_config
from tests.helpers.fake_chia import SERVICES, Slow
from tests.helpers.farm import max_seq
from tests.helpers.waiting import wait_until

CHIA_TABLES = ("chia_service", "harvester", "harvester_identity", "plot", "farmer", "full_node", "wallet", "pool")


def chia_state(database) -> dict[str, list[tuple]]:
    return {table: query(database, f'SELECT * FROM "{table}" ORDER BY id') for table in CHIA_TABLES}


def comparable(state: dict[str, list[tuple]]) -> dict[str, list[tuple]]:
    """Rows without their sequence number and times (machine, id, seq, time, server_time come first)."""
    return {table: sorted(row[:2] + row[5:] for row in rows) for table, rows in state.items()}


def services(database) -> dict[str, str]:
    return dict(query(database, "SELECT id, state FROM chia_service"))


def test_services_not_polled_yet_are_neither_deleted_nor_alerted_after_a_kill_9(farm, server, chia_root, fake_chia, tmp_path):
    root, _ = chia_root
    write_config(tmp_path, farm.port, chia={"enabled": True, "root": str(root), "poll_interval": 1.0, "debug_log": "off"})
    fake_chia.start()
    client = farm.start_client()
    try:
        everything = {s: "RUNNING" for s in SERVICES}
        wait_until(lambda: services(farm.database) == everything and query(farm.database, "SELECT 1 FROM plot")
                   and query(farm.database, "SELECT 1 FROM harvester"), 30, "the first sync")
        before = chia_state(farm.database)
        harness = Harness(farm.database, tmp_path)       # alerts from here on, no debounce: a blip would show
        seq = max_seq(farm.database)
        client.kill9()
        # after the restart every service is slow to say its version, the harvester least: its plot rows
        # come while the farmer's are still unknown (both report the recorded unreadable file, the
        # farmer for the harvester it knows, whose node id is not this machine's)
        for service in SERVICES[1:]:
            routes = fake_chia.routes[service]
            routes["get_version"] = Slow(0.5 if service == "harvester" else 3.0, routes["get_version"])
        client = farm.start_client()
        wait_until(lambda: client.log_text().count("chia harvester: RUNNING") == 2, 30,
                   lambda: f"the harvester answering the restarted client\n{client.log_text()[-3000:]}")
        wait_until(lambda: client.log_text().count("plot list read") >= 2 and max_seq(farm.database) > seq, 30,
                   "the restarted client's plot list")
        wait_until(lambda: client.log_text().count("chia farmer: RUNNING") == 2, 30, "the farmer answering")
        deletes = {table: query(farm.database, f'SELECT id FROM "{table}_events" WHERE event_type = ? AND seq > ?',
                                ("DELETE", seq)) for table in CHIA_TABLES}
        assert all(not rows for rows in deletes.values()), deletes
        wait_until(lambda: comparable(chia_state(farm.database)) == comparable(before), 30, "the same state as before")
        # the same plots as before: no plot row moved to the harvester that answered first, even for a while
        assert query(farm.database, "SELECT seq, event_type, id FROM plot_events WHERE seq > ?", (seq,)) == []
        assert titles(harness.run()) == []
        harness.close()
    finally:
        client.stop()
    assert "Traceback" not in client.log_text()
