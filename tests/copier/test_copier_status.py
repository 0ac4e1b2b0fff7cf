"""The status file format: what the copier writes, the client reads; bad files give one clear error."""
from __future__ import annotations

import asyncio
import json
import time

import pytest

from copier.status import CopierStatus, JobStatus, StatusFormatError, TargetStatus, read_status, write_status
from monitor.client.collectors.copier_status import CopierStatusCollector
from protocol import copier_pb2, events_pb2
from tests.helpers.copier import make_plot, run_copy, write_config


def collect(path) -> events_pb2.ComputerInfo:
    snapshot = events_pb2.ComputerInfo()
    asyncio.run(CopierStatusCollector(path).collect(snapshot))
    return snapshot


def test_round_trip_and_atomic_replace(tmp_path):
    path = tmp_path / "status.json"
    status = CopierStatus(written=123.0, pid=42, interval=30.0,
                          jobs=[JobStatus("j1", "a.plot", "/src/a.plot", "/hdd", "copying", 10, 4, 2.5, 100.0)],
                          targets=[TargetStatus("/hdd", "available", 1000, 6, 1)])
    write_status(path, status)
    write_status(path, status)
    assert read_status(path) == status
    assert [p.name for p in tmp_path.iterdir()] == ["status.json"], "no temp files left"


def test_missing_file_is_no_copier(tmp_path):
    assert read_status(tmp_path / "none.json") is None
    assert len(collect(tmp_path / "none.json").copy_jobs) == 0


@pytest.mark.parametrize("text, problem", [
    ("{not json", "not valid JSON"),
    ('["a list"]', "not a teafarm copier status"),
    ('{"format": "teafarm-copier-status", "version": 2, "jobs": []}', "newer than this teafarm reads"),
    ('{"format": "teafarm-copier-status", "version": "one"}', "no valid version"),
    ('{"format": "teafarm-copier-status", "version": 1, "jobs": [{"plot": "a.plot"}]}', "malformed entry"),
    ('{"format": "teafarm-copier-status", "version": 1, "jobs": [7]}', "malformed entry"),
])
def test_bad_files_give_one_clear_error_and_no_topics(tmp_path, text, problem, caplog):
    path = tmp_path / "status.json"
    path.write_text(text)
    with pytest.raises(StatusFormatError, match=problem) as caught:
        read_status(path)
    assert str(path) in str(caught.value) and "\n" not in str(caught.value)
    snapshot = collect(path)
    assert len(snapshot.copy_jobs) == 0 and len(snapshot.copy_targets) == 0
    assert problem in caplog.text


def test_unknown_keys_from_a_newer_copier_are_ignored(tmp_path):
    path = tmp_path / "status.json"
    path.write_text(json.dumps({"format": "teafarm-copier-status", "version": 1, "written": 5, "extra": 1,
                                "jobs": [{"id": "j", "plot": "p.plot", "source": "/s/p.plot", "new_key": [1]}]}))
    assert read_status(path).jobs == [JobStatus("j", "p.plot", "/s/p.plot")]


def test_collector_reports_what_the_real_copier_wrote(tmp_path, tmpfs):
    source, target = tmp_path / "plotter", tmpfs("hdd", 20)
    make_plot(source, "plot-k32-a.plot", 1_000_000)
    make_plot(source, "plot-k32-b.plot", 1_200_000)
    config = write_config(tmp_path, [source], [target])
    assert run_copy(config).returncode == 0

    snapshot = collect(tmp_path / "data" / "copier-status.json")

    jobs = {job.plot: job for job in snapshot.copy_jobs}
    assert sorted(jobs) == ["plot-k32-a.plot", "plot-k32-b.plot"]
    for job in jobs.values():
        assert job.state == copier_pb2.DONE and job.bytes_done == job.bytes_total > 0
        assert job.target == str(target) and job.id and job.finished >= job.started > 0
    assert len({job.id for job in jobs.values()}) == 2
    (disk,) = snapshot.copy_targets
    assert disk.id == str(target) and disk.state == copier_pb2.AVAILABLE and disk.free_bytes > 0


def test_a_copier_that_stopped_writing_reports_its_copy_as_failed(tmp_path):
    path = tmp_path / "status.json"
    long_ago = time.time() - 3600
    write_status(path, CopierStatus(written=long_ago, pid=1, interval=30.0, jobs=[
        JobStatus("done1", "a.plot", "/s/a.plot", "/hdd", "done", 5, 5, 1.0, long_ago - 9, long_ago - 5),
        JobStatus("busy1", "b.plot", "/s/b.plot", "/hdd", "copying", 5, 2, 1.0, long_ago - 2),
        JobStatus("wait1", "c.plot", "/s/c.plot"),
    ], targets=[TargetStatus("/hdd", "available", 100)]))

    snapshot = collect(path)

    states = {job.id: job.state for job in snapshot.copy_jobs}
    assert states == {"done1": copier_pb2.DONE, "busy1": copier_pb2.FAILED}
    assert "copier stopped" in [j for j in snapshot.copy_jobs if j.id == "busy1"][0].error
    assert len(snapshot.copy_targets) == 0


def test_an_interrupted_copy_reaches_the_bot_as_interrupted_not_unknown(tmp_path):
    """SIGTERM mid-copy leaves the job 'interrupted' in the status file: a state of its own on the wire,
    so /copy shows it and the copy-failure alert (FAILED only) stays quiet for a restart."""
    path = tmp_path / "status.json"
    now = time.time()
    write_status(path, CopierStatus(written=now, pid=1, interval=30.0, jobs=[
        JobStatus("cut1", "a.plot", "/s/a.plot", "/hdd", "interrupted", 5, 2, 0.0, now - 9, now - 1)]))

    assert [job.state for job in collect(path).copy_jobs] == [copier_pb2.INTERRUPTED]
