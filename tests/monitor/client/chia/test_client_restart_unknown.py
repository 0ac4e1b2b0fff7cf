"""A restarted `teafarm client` does not know the chia services it has not polled yet: unknown, not
empty, never diffed into deletions (issue 14, point 6). Real client and server processes; chia is
the recorded-payload fake, its services slow to answer after the restart."""
from __future__ import annotations

import pytest

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


# Open bug (issue 14, point 6, left open): in about 1 run of 5 the restarted client's plot rows make
# the unreadable-plots rule fire and recover once for the farmer's view of the local harvester (the
# problem rows of the harvester and of the farmer's paged endpoints meet in one topic). No DELETE is
# ever sent; the alert is the part still wrong. Remove this mark with the fix.
@pytest.mark.xfail(reason="intermittent unreadable-plots blip after a client restart (open bug)", strict=False)
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
        for service in SERVICES[1:]:      # after the restart, every service takes 3 s to say its version
            routes = fake_chia.routes[service]
            routes["get_version"] = Slow(3.0, routes["get_version"])
        client = farm.start_client()
        wait_until(lambda: client.log_text().count("chia harvester: RUNNING") == 2, 30,
                   lambda: f"the harvester answering the restarted client\n{client.log_text()[-3000:]}")
        wait_until(lambda: client.log_text().count("plot list read") >= 2 and max_seq(farm.database) > seq, 30,
                   "the restarted client's plot list")
        deletes = {table: query(farm.database, f'SELECT id FROM "{table}_events" WHERE event_type = ? AND seq > ?',
                                ("DELETE", seq)) for table in CHIA_TABLES}
        assert all(not rows for rows in deletes.values()), deletes
        wait_until(lambda: comparable(chia_state(farm.database)) == comparable(before), 30, "the same state as before")
        assert titles(harness.run()) == []
        harness.close()
    finally:
        client.stop()
    assert "Traceback" not in client.log_text()
