"""A file of the plot's name already at a target is compared in full before the source is deleted, and
hashing shows as "verifying". Before, three 1 MiB samples let a copy that differed in the middle pass
for the plot, and the only good copy was deleted."""
from __future__ import annotations

import asyncio
import os

from google.protobuf.json_format import MessageToDict

from bot.alerts.rules.copy import CopyHealth
from bot.alerts.transition import Transition
from monitor.client.collectors.copier_status import CopierStatusCollector
from protocol import copier_pb2, events_pb2
from tests.helpers.copier import digest, make_plot, run_copy, status_of, write_config

MIB = 1024 * 1024
PLOT = "plot-k32-verify.plot"


def test_a_copy_that_differs_in_the_middle_keeps_both_and_fails_the_job(tmp_path, tmpfs):
    source, target = tmp_path / "plotter", tmpfs("hdd", 30)
    expected = make_plot(source, PLOT, 8 * MIB)
    damaged = bytearray((source / PLOT).read_bytes())
    damaged[2 * MIB + 12345] ^= 0xFF   # outside the start, middle and end samples
    (target / PLOT).write_bytes(bytes(damaged))
    before = digest(target / PLOT)

    done = run_copy(write_config(tmp_path, [source], [target]))

    assert done.returncode == 1, done.stderr    # the plot has nowhere else to go: left at the source
    assert digest(source / PLOT) == expected, "the only good copy was deleted"
    assert digest(target / PLOT) == before and sorted(p.name for p in target.iterdir()) == [PLOT]
    (job,) = [j for j in status_of(tmp_path)["jobs"] if j["state"] == "failed"]
    assert job["plot"] == PLOT and job["target"] == str(target)
    assert "other bytes" in job["error"] and "kept both" in job["error"], job["error"]
    assert "teafarm copy --once: 0 moved, 1 failed, 1 left at the sources" in done.stderr

    # what the bot sees: the client reads the status file, the copy rule alerts with the reason
    snapshot = events_pb2.ComputerInfo()
    asyncio.run(CopierStatusCollector(tmp_path / "data" / "copier-status.json").collect(snapshot))
    (message,) = [m for m in snapshot.copy_jobs if m.state == copier_pb2.FAILED]
    after = MessageToDict(message, preserving_proto_field_name=True)
    (finding,) = CopyHealth().check(Transition("copy_job", "plotter1", message.id, None, after, 1, 0.0, 0.0), None)
    assert finding.active and "other bytes" in finding.detail and str(target) in finding.detail


def test_the_same_bytes_already_there_drop_the_source_after_a_full_compare(tmp_path, tmpfs):
    source, target = tmp_path / "plotter", tmpfs("hdd", 30)
    expected = make_plot(source, PLOT, 3 * MIB)
    (target / PLOT).write_bytes((source / PLOT).read_bytes())
    config = write_config(tmp_path, [source], [target], bandwidth_limit_mb=4.0, progress_log_interval=0.1)

    done = run_copy(config)

    assert done.returncode == 0, done.stderr
    assert not (source / PLOT).exists() and digest(target / PLOT) == expected
    assert f"verifying {PLOT} at {target}: verifying" in done.stderr, "hashing shows as verifying"
    assert "already complete" in done.stderr
    assert "teafarm copy --once: 1 moved (1 already there), 0 left at the sources" in done.stderr


def test_verify_checksum_shows_verifying_while_it_hashes(tmp_path, tmpfs):
    source, target = tmp_path / "plotter", tmpfs("hdd", 30)
    expected = make_plot(source, PLOT, 3 * MIB)
    config = write_config(tmp_path, [source], [target], verify_checksum=True, bandwidth_limit_mb=4.0,
                          progress_log_interval=0.1)

    done = run_copy(config)

    assert done.returncode == 0, done.stderr
    assert digest(target / PLOT) == expected and not (source / PLOT).exists()
    assert f"copying {PLOT} to {target}:" in done.stderr
    assert f"verifying {PLOT} at {target}: verifying" in done.stderr
    assert done.stderr.index(f"copying {PLOT}") < done.stderr.index(f"verifying {PLOT}")
    assert [j["phase"] for j in status_of(tmp_path)["jobs"]] == [""], "no phase once done"


def test_a_different_size_is_a_mismatch_too(tmp_path, tmpfs):
    """The plot goes to another target; the job at the first one failed with the reason."""
    source, holding, free = tmp_path / "plotter", tmpfs("hdd-a", 30), tmpfs("hdd-b", 20)
    expected = make_plot(source, PLOT, 1 * MIB)
    (holding / PLOT).write_bytes(os.urandom(1000))

    done = run_copy(write_config(tmp_path, [source], [holding, free]))

    assert done.returncode == 0, done.stderr
    assert digest(free / PLOT) == expected and (holding / PLOT).stat().st_size == 1000
    jobs = status_of(tmp_path)["jobs"]
    assert [j["state"] for j in jobs] == ["failed", "done"]
    assert "another size" in jobs[0]["error"] and jobs[0]["target"] == str(holding)
