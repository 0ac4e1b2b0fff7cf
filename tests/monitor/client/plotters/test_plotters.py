"""Plotter progress from plotter log files (reconstructed samples in tests/data/plotters), through
the PlotterCollector on real files: running plots are listed, finished ones leave the list."""
from __future__ import annotations

import asyncio
import os
import shutil
import time
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from monitor.client.plotters.collector import PlotterCollector
from monitor.client.plotters.reader import FORMATS
from protocol import events_pb2
from tests.helpers.paths import DATA

SAMPLES = DATA / "plotters"
MADMAX_RUNNING = "c4f1a2b3d4e5f60718293a4b5c6d7e8f90a1b2c3d4e5f6a7b8c9d0e1f2a3b4c5"
BLADEBIT_RUNNING = "6b46f2d9e0b7a5c1d3e8f4a2b6c9d0e1f2a3b4c5d6e7f8091a2b3c4d5e6f7081"
CHIA_RUNNING = "3b6d9a7e1f2c3d4e5f60718293a4b5c6d7e8f90a1b2c3d4e5f6a7b8c9d0e1f2a"


def collect(collector: PlotterCollector) -> dict[str, events_pb2.ComputerInfo]:
    snapshot = events_pb2.ComputerInfo()
    asyncio.run(collector.collect(snapshot))
    return {Path(job.log_file).name: job for job in snapshot.plotter_jobs}


@pytest.fixture
def logs(tmp_path: Path) -> Path:
    for sample in SAMPLES.glob("*.log"):
        shutil.copy(sample, tmp_path / sample.name)
    return tmp_path


def test_running_plots_are_listed_and_finished_ones_are_not(logs: Path) -> None:
    jobs = collect(PlotterCollector([str(logs / "*.log")]))
    assert set(jobs) == {"madmax-running.log", "bladebit-running.log", "chia-running.log"}

    madmax = jobs["madmax-running.log"]  # second plot of two, after [P2] Table 6 rewrite
    assert (madmax.plotter, madmax.id, madmax.plot_id, madmax.k, madmax.compression, madmax.phase) == (
        "madmax", MADMAX_RUNNING, MADMAX_RUNNING, 32, 0, "P2")
    assert madmax.progress == pytest.approx(0.45 + 0.20 * 2 / 6)

    bladebit = jobs["bladebit-running.log"]  # compressing tables 3 and 4 in phase 3
    assert (bladebit.plotter, bladebit.plot_id, bladebit.k, bladebit.compression, bladebit.phase) == (
        "bladebit", BLADEBIT_RUNNING, 32, 5, "P3")
    assert bladebit.progress == pytest.approx(0.65 + 0.30 * 2 / 6)

    chia = jobs["chia-running.log"]
    assert (chia.plotter, chia.plot_id, chia.k, chia.phase) == ("chia", CHIA_RUNNING, 32, "P3")
    assert chia.start_time == time.mktime(time.strptime("Mon Apr 12 10:00:00 2021", "%a %b %d %H:%M:%S %Y"))


def test_start_and_eta_from_the_seconds_the_log_accounts_for(logs: Path) -> None:
    log = logs / "bladebit-running.log"
    last_write = 1_800_000_000.0
    os.utime(log, (last_write, last_write))
    jobs = collect(PlotterCollector([str(log)], clock=lambda: last_write + 10))
    job = jobs["bladebit-running.log"]
    # F1 8.57 + phase 1 270.57 + phase 2 35.30 + two phase-3 tables 30.91 + 29.66
    elapsed = 8.57 * 0 + 270.57 + 35.30 + 30.91 + 29.66
    assert job.start_time == pytest.approx(last_write - elapsed)
    assert job.eta_seconds == pytest.approx(elapsed / job.progress - elapsed - 10)


def test_chia_plotter_eta_from_its_clock_times(logs: Path) -> None:
    log = logs / "chia-running.log"
    start = time.mktime(time.strptime("Mon Apr 12 10:00:00 2021", "%a %b %d %H:%M:%S %Y"))
    last_write = start + 3 * 3600
    os.utime(log, (last_write, last_write))
    job = collect(PlotterCollector([str(log)], stale_after=1e12, clock=lambda: last_write))["chia-running.log"]
    assert job.eta_seconds == pytest.approx(3 * 3600 / job.progress - 3 * 3600)


def test_a_plot_that_finishes_leaves_the_list(logs: Path) -> None:
    log = logs / "bladebit-running.log"
    collector = PlotterCollector([str(log)])
    assert "bladebit-running.log" in collect(collector)
    with log.open("a") as file:
        file.write(" Finished compressing tables 3 and 4 in 30.12 seconds.\n")
        file.flush()
        assert collect(collector)["bladebit-running.log"].progress == pytest.approx(0.65 + 0.30 * 3 / 6)
        file.write("Finished Phase 3 in 160.2 seconds.\nWriting final plot tables to disk\n"
                   "Finished writing tables to disk in 12.5 seconds.\nFinished plotting in 488.59 seconds (8.14 minutes).\n")
    assert collect(collector) == {}


def test_a_log_that_stopped_growing_long_ago_is_dropped(logs: Path) -> None:
    log = logs / "madmax-running.log"
    os.utime(log, (time.time() - 7200, time.time() - 7200))
    assert collect(PlotterCollector([str(log)], stale_after=3600)) == {}


def test_no_matching_files_and_unknown_logs_give_no_jobs(tmp_path: Path) -> None:
    (tmp_path / "other.log").write_text("hello\nworld\n")
    assert collect(PlotterCollector([str(tmp_path / "*.log"), str(tmp_path / "missing/*.log")])) == {}


def test_log_replaced_by_a_new_run_shows_the_new_plot(logs: Path) -> None:
    log = logs / "run.log"
    shutil.copy(logs / "bladebit-running.log", log)
    collector = PlotterCollector([str(log)])
    assert collect(collector)["run.log"].plotter == "bladebit"
    log.unlink()
    shutil.copy(logs / "madmax-running.log", log)
    job = collect(collector)["run.log"]
    assert (job.plotter, job.plot_id) == ("madmax", MADMAX_RUNNING)


LINE_SHAPES = [line for sample in sorted(SAMPLES.glob("*.log")) for line in sample.read_text().splitlines()]


@settings(max_examples=200, deadline=None)
@given(st.lists(st.one_of(st.sampled_from(LINE_SHAPES), st.text(max_size=120),
                          st.from_regex(r"(Phase|\[P\d\] Table|Table|Finished Phase) \d{1,3} (took|completed in|in) "
                                        r"[\d.]{1,8} (sec|seconds)", fullmatch=True)), max_size=40))
def test_any_lines_never_break_a_plotter_log(lines: list[str]) -> None:
    for fmt in FORMATS:
        log = fmt("x.log")
        for line in lines:
            log.feed(line)
        job = log.active_job()
        if job is not None:
            assert 0.0 <= job.message(1e9, 1e9).progress <= 1.0
