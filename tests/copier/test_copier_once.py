"""What `teafarm copy` says about its run: a missing source with `--once` is one line and exit 2, a
glob that matches nothing says so, a stop by signal is logged and its copy shows as interrupted,
and `--once` ends with a summary line."""
from __future__ import annotations

import signal
import subprocess

import pytest

from tests.helpers.backbone import TEAFARM
from tests.helpers.copier import digest, make_plot, run_copy, status_of, write_config
from tests.helpers.waiting import wait_until

MB = 1_000_000


def test_once_with_a_missing_source_is_one_line(tmp_path):
    target = tmp_path / "farm"
    done = run_copy(write_config(tmp_path, [tmp_path / "no-such-plotter"], [target]))
    assert done.returncode == 2
    assert done.stderr == f"teafarm: error: copy.sources: {tmp_path / 'no-such-plotter'} does not exist\n"

    done = run_copy(write_config(tmp_path, [tmp_path / "plotter*"], [target]))
    assert done.returncode == 2
    assert done.stderr == f"teafarm: error: copy.sources: pattern {tmp_path / 'plotter*'} matches no folder\n"
    assert not target.exists()


def test_a_glob_that_matches_nothing_says_so_and_the_copier_waits(tmp_path, start_copier):
    source = tmp_path / "plotter"
    source.mkdir()
    copier = start_copier(write_config(tmp_path, [tmp_path / "nvme*"], [tmp_path / "disks" / "hdd*"]))
    wait_until(lambda: "target pattern" in copier.log, 45, "the warnings")
    assert f"source pattern {tmp_path / 'nvme*'} matches no folder (yet): waiting for it" in copier.log
    assert f"target pattern {tmp_path / 'disks' / 'hdd*'} matches no folder (yet)" in copier.log
    assert copier.running()


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGINT])
def test_a_signal_is_logged_and_the_abandoned_copy_shows_as_interrupted(tmp_path, tmpfs, start_copier, sig):
    source, target = tmp_path / "plotter", tmpfs("hdd", 20)
    name = "plot-k32-stop.plot"
    expected = make_plot(source, name, 4 * MB)
    copier = start_copier(write_config(tmp_path, [source], [target], bandwidth_limit_mb=2.0))
    wait_until(lambda: (target / (name + ".teafarm-partial")).exists(), 45, "the copy to start", interval=0.02)

    copier.process.send_signal(sig)

    assert copier.process.wait(timeout=30) == 0
    assert f"received {sig.name}: stopping; abandoning 1 copy(ies) in flight" in copier.log
    assert list(target.iterdir()) == [] and digest(source / name) == expected
    (job,) = status_of(tmp_path)["jobs"]
    assert job["state"] == "interrupted" and job["plot"] == name
    assert job["error"] == f"interrupted (received {sig.name}): the copy was abandoned, the source is intact"


def test_once_ends_with_a_summary_line(tmp_path, tmpfs):
    source, small = tmp_path / "plotter", tmpfs("small", 3)
    make_plot(source, "plot-k32-fits.plot", 1 * MB)
    make_plot(source, "plot-k32-too-big.plot", 4 * MB)
    done = run_copy(write_config(tmp_path, [source], [small]))
    assert done.returncode == 1
    last = done.stderr.strip().splitlines()[-1]
    assert last.endswith("teafarm copy --once: 1 moved (1 copied), 1 left at the sources"), done.stderr


def test_once_with_nothing_to_do_says_so(tmp_path):
    (tmp_path / "plotter").mkdir()
    done = subprocess.run([*TEAFARM, "copy", "--once", "--config",
                           str(write_config(tmp_path, [tmp_path / "plotter"], [tmp_path / "farm"]))],
                          capture_output=True, text=True, timeout=30)
    assert done.returncode == 0, done.stderr
    assert done.stderr.strip().splitlines()[-1].endswith("teafarm copy --once: 0 moved, 0 left at the sources")
