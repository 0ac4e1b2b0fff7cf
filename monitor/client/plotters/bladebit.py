"""Bladebit logs: the RAM plotter (`bladebit ... ramplot`) and the CUDA plotter (`bladebit_cuda
... cudaplot`). Both print their settings (compression level) first, then per plot:

    Generating plot 1 / 1: <plot id>
    Plot temporary file: /mnt/farm/plot-k32-c05-2023-06-10-10-00-<id>.plot.tmp
RAM:  Finished forward propagating table 2 in 40.12 seconds.   Finished Phase 1 in 280.57 seconds.
      Finished prunning table 6 in 6.12 seconds.  (sic)        Finished Phase 2 in 35.3 seconds.
      Finished compressing tables 1 and 2 in 30.9 seconds.     Finished Phase 3 in 160.2 seconds.
      Finished plotting in 488.59 seconds (8.14 minutes).
CUDA: Table 2 completed in 3.91 seconds with 4294937014 entries.
      Finished Phase 1 in 30.12 seconds ( 0.5 minutes ).  ... Completed Plot 1 in 55.81 seconds ( 0.93 minutes )
"""
from __future__ import annotations

from monitor.client.plotters.plotter_log import PlotterLog, rule


def _start(log: PlotterLog, m) -> None:
    job = log.new_plot()
    job.plot_id = m[1]
    job.k = job.k or 32  # bladebit makes k32 plots only


def _temp_file(log: PlotterLog, m) -> None:
    log.current().name_plot(m[1])


def _compression(log: PlotterLog, m) -> None:
    log.header_compression = int(m[1])


def _finished(log: PlotterLog, m) -> None:
    job = log.current()
    job.phase_done("done", 1.0, 0.0)
    job.finished = True


def _ram_table(log: PlotterLog, m) -> None:  # tables 2 .. 7
    log.current().step("P1", 0.05 + 0.50 * (int(m[1]) - 1) / 6, float(m[2]))


def _ram_f1(log: PlotterLog, m) -> None:
    log.current().step("P1", 0.05, float(m[1]))


def _ram_prune(log: PlotterLog, m) -> None:  # tables 6 .. 2
    log.current().step("P2", 0.55 + 0.10 * (7 - int(m[1])) / 5, float(m[2]))


def _ram_compress(log: PlotterLog, m) -> None:  # tables 1 and 2 .. 6 and 7
    log.current().step("P3", 0.65 + 0.30 * int(m[1]) / 6, float(m[2]))


def _phase(shares: tuple[float, ...]):
    def handler(log: PlotterLog, m) -> None:
        number = int(m[1])
        log.current().phase_done(f"P{number}", shares[number - 1], float(m[2]))
    return handler


def _write(log: PlotterLog, m) -> None:
    log.current().step("write", 0.99, float(m[1]))


# both bladebit flavours print these lines the same way
COMMON_RULES = (
    rule(r"^Generating plot \d+ / \d+: ([0-9a-f]{64})", _start),
    rule(r"^Plot temporary file: (\S+)", _temp_file),
    rule(r"Compression Level\s*: C?(\d+)", _compression),
)


class BladebitLog(PlotterLog):
    plotter = "bladebit"
    markers = ("Bladebit Chia Plotter", "bladebit")
    rules = COMMON_RULES + (
        rule(r"Finished F1 generation in ([\d.]+) seconds", _ram_f1),
        rule(r"Finished forward propagating table (\d) in ([\d.]+) seconds", _ram_table),
        rule(r"Finished prunn?ing table (\d) in ([\d.]+) seconds", _ram_prune),
        rule(r"Finished compressing tables (\d) and \d in ([\d.]+) seconds", _ram_compress),
        rule(r"^Finished Phase ([1-3]) in ([\d.]+) seconds", _phase((0.55, 0.65, 0.95))),
        rule(r"^Finished writing tables to disk in ([\d.]+) seconds", _write),
        rule(r"^Finished plotting in [\d.]+ seconds", _finished),
    )


def _cuda_table(log: PlotterLog, m) -> None:  # tables 2 .. 7
    log.current().step("P1", 0.10 + 0.50 * (int(m[1]) - 1) / 6, float(m[2]))


def _cuda_f1(log: PlotterLog, m) -> None:
    log.current().step("P1", 0.10, float(m[1]))


class BladebitCudaLog(PlotterLog):
    plotter = "bladebit-cuda"
    markers = ("Bladebit CUDA", "bladebit_cuda", "cudaplot", "Selected cuda device")
    rules = COMMON_RULES + (
        rule(r"^Finished F1 in ([\d.]+) seconds", _cuda_f1),
        rule(r"^Table (\d) completed in ([\d.]+) seconds", _cuda_table),
        rule(r"^Finished Phase ([1-3]) in ([\d.]+) seconds", _phase((0.60, 0.75, 0.95))),
        rule(r"^Completed Plot \d+ in [\d.]+ seconds", _finished),
    )
