"""Nothing is lost or doubled when the server goes away or the client is killed."""
from __future__ import annotations

import time

from tests.helpers.backbone import query, write_config
from tests.helpers.tmpfs import mount_tmpfs, unmount
from tests.helpers.waiting import wait_until

DUPLICATES = """SELECT COUNT(*) FROM (SELECT 1 FROM {table} GROUP BY machine, id, event_type, client_time HAVING COUNT(*) > 1)"""


def _no_duplicate_events(database) -> None:
    for table in ("disk_events", "cpu_events", "ram_events", "machine_info_events", "process_events"):
        assert query(database, DUPLICATES.format(table=table)) == [(0,)], table


def test_server_down_for_20_s_while_a_disk_comes_and_goes(farm, tmp_path):
    mountpoint = tmp_path / "farmdisk"
    write_config(tmp_path, farm.port, client={"extra_mounts": [str(mountpoint)]})
    server = farm.start_server()
    client = farm.start_client()
    try:
        wait_until(lambda: query(farm.database, "SELECT 1 FROM disk WHERE mountpoint = '/'"), 30, "first sync")
        server.stop()
        went_down = time.monotonic()
        mount_tmpfs(mountpoint)
        try:
            time.sleep(4)  # the client sees the new mount (interval 0.5 s) and queues it
        finally:
            unmount(mountpoint)
        time.sleep(max(0.0, 20 - (time.monotonic() - went_down)))
        server = farm.start_server()
        path = str(mountpoint)
        wait_until(lambda: query(farm.database, "SELECT COUNT(*) FROM disk_events WHERE id = ?", (path,))[0][0] >= 2,
                   60, "the queued ADD and DELETE of the tmpfs")
        time.sleep(2)  # let any resend arrive: there must be none
        events = query(farm.database, "SELECT event_type, fstype FROM disk_events WHERE id = ? ORDER BY seq", (path,))
        assert events == [("ADD", "tmpfs"), ("DELETE", None)]
        add_time, = query(farm.database, "SELECT client_time FROM disk_events WHERE id = ? AND event_type = 'ADD'", (path,))
        assert add_time[0] < time.time() - 10  # delivered late, with the time it happened
        assert query(farm.database, "SELECT COUNT(*) FROM disk WHERE id = ?", (path,)) == [(0,)]
        _no_duplicate_events(farm.database)
    finally:
        client.stop()
        server.stop()


def test_kill_9_and_restart_resyncs_without_duplicates_or_phantom_deletes(farm, server):
    client = farm.start_client()
    wait_until(lambda: query(farm.database, "SELECT 1 FROM disk WHERE mountpoint = '/'"), 30, "first sync")
    time.sleep(1)
    client.kill9()
    client = farm.start_client()
    try:
        wait_until(lambda: "connected to" in client.log_text(), 30, "the restarted client to connect")
        time.sleep(3)
    finally:
        client.stop()
    # disk usage may change (UPDATE), but the restart must not re-add or delete anything
    assert query(farm.database, "SELECT COUNT(*) FROM disk_events WHERE id = '/' AND event_type = 'ADD'") == [(1,)]
    assert query(farm.database, "SELECT COUNT(*) FROM disk_events WHERE event_type = 'DELETE'") == [(0,)]
    assert query(farm.database, "SELECT COUNT(*) FROM machine_info_events") == [(1,)]
    _no_duplicate_events(farm.database)
