"""chia's own plotter (chiapos, `chia plots create`). Its phase lines carry clock times, so the
start is known exactly. Typical share of the time: P1 42 %, P2 20 %, P3 33 %, P4 5 %. Lines:

    ID: <plot id>                      Plot size is: 32
    Starting phase 1/4: Forward Propagation into tmp files... Mon Apr 12 10:00:00 2021
    Computing table 2                  Time for phase 1 = 8000.123 seconds. CPU (180.000%) Mon Apr 12 ...
    Backpropagating on table 7         Time for phase 2 = ...
    Compressing tables 1 and 2         Time for phase 3 = ...
    Starting phase 4/4: ...            Time for phase 4 = ...
    Total time = 17500.0 seconds. ...
    Renamed final file from "/mnt/farm/plot-k32-....plot.2.tmp" to "/mnt/farm/plot-k32-....plot"
"""
from __future__ import annotations

import time

from monitor.client.plotters.plotter_log import PlotterLog, rule

PHASE_SHARES = (0.42, 0.62, 0.95, 0.99)


def _start(log: PlotterLog, m) -> None:
    job = log.new_plot()
    job.plot_id = m[1]


def _k(log: PlotterLog, m) -> None:
    log.current().k = int(m[1])


def _phase_started(log: PlotterLog, m) -> None:
    job = log.current()
    number = int(m[1])
    job.step(f"P{number}", ((0.0,) + PHASE_SHARES)[number - 1])
    if number == 1:
        try:  # chia writes local time in ctime() form
            job.start_time = time.mktime(time.strptime(m[2].strip(), "%a %b %d %H:%M:%S %Y"))
        except ValueError:
            pass


def _table(log: PlotterLog, m) -> None:  # tables 1 .. 7
    log.current().step("P1", PHASE_SHARES[0] * (int(m[1]) - 1) / 7)


def _backprop(log: PlotterLog, m) -> None:  # tables 7 .. 2
    log.current().step("P2", PHASE_SHARES[0] + 0.20 * (7 - int(m[1])) / 6)


def _compress(log: PlotterLog, m) -> None:  # tables 1 and 2 .. 6 and 7
    log.current().step("P3", PHASE_SHARES[1] + 0.33 * (int(m[1]) - 1) / 6)


def _phase_done(log: PlotterLog, m) -> None:
    number = int(m[1])
    log.current().phase_done(f"P{number}", PHASE_SHARES[number - 1], float(m[2]))


def _copy(log: PlotterLog, m) -> None:
    log.current().step("copy", PHASE_SHARES[3])


def _renamed(log: PlotterLog, m) -> None:
    job = log.current()
    job.name_plot(m[1])
    job.step("done", 1.0)
    job.finished = True


class ChiaPlotterLog(PlotterLog):
    plotter = "chia"
    markers = ("Starting plotting progress into temporary dirs",)
    rules = (
        rule(r"^ID: ([0-9a-f]{64})", _start),
        rule(r"^Plot size is: (\d+)", _k),
        rule(r"^Starting phase ([1-4])/4: .*\.\.\. ?(.*)$", _phase_started),
        rule(r"^Computing table (\d)", _table),
        rule(r"^Backpropagating on table (\d)", _backprop),
        rule(r"^Compressing tables (\d) and \d", _compress),
        rule(r"^Time for phase ([1-4]) = ([\d.]+) seconds", _phase_done),
        rule(r"^Total time = [\d.]+ seconds", _copy),
        rule(r'^Renamed final file from "[^"]*" to "([^"]*)"', _renamed),
    )
