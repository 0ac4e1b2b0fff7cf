"""Plots on the move: the copier's jobs and targets, and plots being made, per machine."""
from __future__ import annotations

from collections.abc import Iterator

from prometheus_client.core import GaugeMetricFamily, Metric

from bot.metrics.sources import Sources

# every state, 0 included, on every machine with a copier: a rule sees "failed" go from 0 to 1
COPY_STATES = {"QUEUED": "queued", "COPYING": "copying", "DONE": "done", "FAILED": "failed", "INTERRUPTED": "interrupted"}
TARGET_STATES = {"AVAILABLE": "available", "FULL": "full", "RETIRED": "retired", "EXCLUDED": "excluded",
                 "TARGET_STATE_UNKNOWN": "unknown"}
TARGET = ["machine", "target"]


def collect(src: Sources) -> Iterator[Metric]:
    yield from jobs(src)
    yield from targets(src)
    yield from plotting(src)


def jobs(src: Sources) -> Iterator[Metric]:
    count = GaugeMetricFamily("teafarm_copy_jobs", "Copy jobs in the copier's status file (finished ones are kept "
                              "copy.keep_finished_hours), by state", labels=["machine", "state"])
    rate = GaugeMetricFamily("teafarm_copy_rate_bytes_per_second", "Bytes per second of the copies in flight", labels=["machine"])
    remaining = GaugeMetricFamily("teafarm_copy_remaining_bytes", "Bytes still to copy (queued and in flight)", labels=["machine"])
    states: dict[str, dict[str, int]] = {}
    for machine, state, n in src.query("SELECT machine, state, count(*) FROM copy_job GROUP BY 1, 2"):
        states.setdefault(machine, {})[state] = n
    for (machine,) in src.query("SELECT DISTINCT machine FROM copy_target"):
        states.setdefault(machine, {})
    for machine, found in states.items():
        for state, label in COPY_STATES.items():
            count.add_metric([machine, label], found.get(state, 0))
    for machine, bytes_per_second, left in src.query(
            "SELECT machine, total(CASE WHEN state = 'COPYING' THEN rate_bytes_per_s END), "
            "total(CASE WHEN state IN ('QUEUED', 'COPYING') THEN max(bytes_total - bytes_done, 0) END) "
            "FROM copy_job GROUP BY 1"):
        rate.add_metric([machine], bytes_per_second)
        remaining.add_metric([machine], left)
    yield from (count, rate, remaining)


def targets(src: Sources) -> Iterator[Metric]:
    free = GaugeMetricFamily("teafarm_copy_target_free_bytes", "Free bytes on a copy target", labels=TARGET)
    states = GaugeMetricFamily("teafarm_copy_target_state", "1 for the target's current state (available: takes new "
                               "plots; full; retired after an error; excluded by its marker file), 0 for the others",
                               labels=[*TARGET, "state"])
    writers = GaugeMetricFamily("teafarm_copy_target_writers", "Copies writing to the target now", labels=TARGET)
    for machine, target, free_bytes, state, busy in src.query(
            "SELECT machine, id, free_bytes, state, writers FROM copy_target"):
        free.add_metric([machine, target], free_bytes or 0)
        for known, label in TARGET_STATES.items():
            states.add_metric([machine, target, label], 1 if state == known else 0)
        writers.add_metric([machine, target], busy or 0)
    yield from (free, states, writers)


def plotting(src: Sources) -> Iterator[Metric]:
    family = GaugeMetricFamily("teafarm_plotter_jobs", "Plots being made, by plotter", labels=["machine", "plotter"])
    for machine, plotter, n in src.query("SELECT machine, plotter, count(*) FROM plotter_job GROUP BY 1, 2"):
        family.add_metric([machine, plotter or ""], n)
    yield family
