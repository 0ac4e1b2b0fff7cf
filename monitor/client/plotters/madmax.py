"""MadMax (chia-plotter) and Gigahorse logs. Typical share of a k32 plot's time: P1 45 %, P2 20 %,
P3 30 %, P4 5 %. Lines:

    Plot Name: plot-k32-2021-10-05-20-38-<id>        (Gigahorse: plot-k32-c07-...)
    [P1] Table 1 took 14.9086 sec                     Phase 1 took 900.1 sec
    [P2] Table 7 rewrite took 40.1 sec, dropped ...   Phase 2 took 500.5 sec
    [P3-2] Table 2 took 40.2 sec, wrote ...           Phase 3 took 700.1 sec, wrote ...
    [P4] Starting to write C1 and C3 tables           Phase 4 took 70.2 sec, final plot size is ...
    Total plot creation time was 2170.9 sec (36.18 min)
    Started copy to /mnt/farm/plot-k32-....plot
"""
from __future__ import annotations

from monitor.client.plotters.plotter_log import PlotterLog, rule


def _start(log: PlotterLog, m) -> None:
    log.new_plot().name_plot(m[0])
    if log.job and log.job.compression:
        log.job.plotter = "gigahorse"


def _p1(log: PlotterLog, m) -> None:
    log.current().step("P1", 0.45 * int(m[1]) / 7, float(m[2]))


def _p2(log: PlotterLog, m) -> None:  # tables 7 .. 2
    log.current().step("P2", 0.45 + 0.20 * (8 - int(m[1])) / 6, float(m[2]))


def _p3_step(log: PlotterLog, m) -> None:
    log.current().step("P3", log.current().progress, float(m[1]))


def _p3(log: PlotterLog, m) -> None:  # tables 2 .. 7
    log.current().step("P3", 0.65 + 0.30 * (int(m[1]) - 1) / 6, float(m[2]))


def _phase(log: PlotterLog, m) -> None:
    number = int(m[1])
    log.current().phase_done(f"P{number}", (0.45, 0.65, 0.95, 1.0)[number - 1], float(m[2]))


def _p4(log: PlotterLog, m) -> None:
    log.current().step("P4", 0.97)


def _total(log: PlotterLog, m) -> None:
    log.current().finished = True


def _compression(log: PlotterLog, m) -> None:
    log.header_compression = int(m[1])


class MadMaxLog(PlotterLog):
    plotter = "madmax"
    markers = ("Multi-threaded pipelined Chia", "next-gen CUDA plotter", "[P1] Table 1 took")
    rules = (
        rule(r"^Plot Name: (plot-k\d+\S*)", _start),
        rule(r"^\[P1\] Table (\d) took ([\d.]+) sec", _p1),
        rule(r"^\[P2\] Table (\d)(?: rewrite)? took ([\d.]+) sec", _p2),
        rule(r"^\[P3-1\] Table \d took ([\d.]+) sec", _p3_step),
        rule(r"^\[P3(?:-2)?\] Table (\d)(?: NSK)? took ([\d.]+) sec", _p3),
        rule(r"^Phase ([1-4]) took ([\d.]+) sec", _phase),
        rule(r"^\[P4\] ", _p4),
        rule(r"^Total plot creation time was ([\d.]+) sec", _total),
        rule(r"^Compression Level: C?(\d+)", _compression),
    )
