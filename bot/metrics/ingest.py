"""teafarm's own ingest: events stored, and per machine whether it is connected, when it was last
heard, its clock offset and how far behind its outbox delivers."""
from __future__ import annotations

from collections.abc import Iterator

from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, Metric

from bot.metrics.sources import Sources
from protocol.registry import STATE_TOPICS

# plot rows change only when plots do, and reading 100k of them would be the scrape's biggest cost;
# cpu and ram (sent every minute) already show how late a machine delivers
LAG_TOPICS = tuple(t for t in STATE_TOPICS if t.name != "plot")


def collect(src: Sources) -> Iterator[Metric]:
    events = CounterMetricFamily("teafarm_ingest_events", "Events the server stored (its last sequence number); "
                                 "rate() is the farm's events per second")
    events.add_metric([], src.store.max_seq())
    yield events

    labels = ["machine"]
    connected = GaugeMetricFamily("teafarm_machine_connected", "1 while the machine has a live stream to the server", labels=labels)
    last_seen = GaugeMetricFamily("teafarm_machine_last_seen_timestamp_seconds",
                                  "When the machine last sent anything, a heartbeat included (Unix time)", labels=labels)
    offset = GaugeMetricFamily("teafarm_machine_clock_offset_seconds",
                               "Server clock minus the machine's clock, measured when it connected", labels=labels)
    info = GaugeMetricFamily("teafarm_machine_info", "Always 1: the machine's teafarm version and OS",
                             labels=["machine", "teafarm_version", "os"])
    for r in src.query("SELECT m.machine, m.connected, m.last_seen, m.clock_offset, m.teafarm_version, i.os "
                       "FROM machines m LEFT JOIN machine_info i ON i.machine = m.machine"):
        connected.add_metric([r[0]], 1 if r[1] else 0)
        if r[2] is not None:
            last_seen.add_metric([r[0]], r[2])
        offset.add_metric([r[0]], r[3] or 0.0)
        info.add_metric([r[0], r[4] or "", r[5] or ""], 1)
    yield from (connected, last_seen, offset, info)

    lag = GaugeMetricFamily("teafarm_machine_outbox_lag_seconds",
                            "How late the machine's newest stored change arrived: server receive time minus the time "
                            "it was observed (clock offset corrected); high while an outbox catches up", labels=labels)
    for machine, seconds in outbox_lag(src).items():
        lag.add_metric([machine], seconds)
    yield lag


def outbox_lag(src: Sources) -> dict[str, float]:
    """Per machine, from the state row it changed last (sqlite takes the bare `time` column from the
    row holding max(server_time))."""
    newest: dict[str, tuple[float, float]] = {}
    for topic in LAG_TOPICS:
        for machine, received, observed in src.query(
                f'SELECT machine, max(server_time), time FROM "{topic.state_table}" GROUP BY machine'):
            if received is not None and observed is not None and received > newest.get(machine, (-1.0, 0.0))[0]:
                newest[machine] = (received, observed)
    return {machine: max(0.0, received - observed) for machine, (received, observed) in newest.items()}
