"""Expected trouble reaches the user's terminal as one line of teafarm's own: never grpc's C-core
lines, never a traceback."""
from __future__ import annotations

import socket
import subprocess
import uuid
from contextlib import closing

from monitor.certs import ensure_client_cert
from tests.helpers.backbone import TEAFARM, event, stream_events
from tests.helpers.farm import Farm
from tests.helpers.tmpfs import mount_tmpfs, unmount


def test_a_port_in_use_is_one_line_without_grpc_core_lines(tmp_path):
    with closing(socket.socket()) as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        farm = Farm.create(tmp_path, port=taken.getsockname()[1])
        done = subprocess.run([*TEAFARM, "server", "--config", str(farm.config)], stdin=subprocess.DEVNULL,
                              capture_output=True, text=True, timeout=120)
    assert done.returncode == 2, done.stderr
    lines = done.stderr.splitlines()
    assert [line for line in lines if "cannot listen on" in line] == [
        f"teafarm: error: server.listen: cannot listen on 127.0.0.1:{farm.port} (in use or not a local address)"], lines
    assert not [line for line in lines if "add_port" in line or "E1206" in line or "Traceback" in line], lines


def test_a_full_disk_under_the_database_is_one_line_in_the_log_without_the_writers_traceback(tmp_path):
    disk = tmp_path / "small-disk"
    mount_tmpfs(disk, size_mb=1)
    try:
        farm = Farm.create(tmp_path, server={"database": str(disk / "teafarm.db")})
        server = farm.start_server()
        try:
            pair = ensure_client_cert(farm.data_dir, farm.data_dir / "certs" / "m1.crt", farm.data_dir / "certs" / "m1.key", "m1")
            big = [event("disk", id=f"/mnt/{n}", mountpoint=f"/mnt/{n}", device="x" * 1000) for n in range(2000)]
            replies = stream_events(farm.port, pair, farm.ca, [big], outbox_id=uuid.uuid4().hex)
            assert [r.WhichOneof("kind") for r in replies] == ["welcome", "refusal"], replies
            assert server.proc.poll() is None   # a full disk is no lost database: the server goes on
        finally:
            server.stop()
    finally:
        unmount(disk)
    text = server.log_text()
    failed = [line for line in text.splitlines() if "storing batch 1" in line]
    assert len(failed) == 1 and failed[0].endswith("failed: OperationalError: database or disk is full"), text
    assert "Traceback" not in text
