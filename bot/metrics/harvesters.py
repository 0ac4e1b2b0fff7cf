"""Per harvester (labels machine, node_id; machine is the one the harvester runs on where its
client says so, else its farmer's): the farmer's view, plot files by k and compression, and
the farming counters from the bot's running totals (bot.stats.rollup), never the minute buckets."""
from __future__ import annotations

from collections import Counter
from collections.abc import Iterator

from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, HistogramMetricFamily, Metric
from prometheus_client.utils import floatToGoString

from bot.metrics.sources import Sources
from bot.stats.harvesters import harvesters
from bot.stats.rollup import COUNTS, LOOKUP_EDGES, totals_upto

HARVESTER = ["machine", "node_id"]
LATEST = 2**62                # a slot after every slot: each harvester's newest running totals
# running-total column -> (counter name, help)
FARMING_COUNTERS = {
    "expected": ("teafarm_signage_points_expected", "Signage points the farmer received for this harvester"),
    "answered": ("teafarm_signage_points_answered",
                 "Signage points answered in time (answered + late + missed = expected)"),
    "missed": ("teafarm_signage_points_missed",
               "Signage points the harvester did not answer at all (answers after the deadline count in _late)"),
    "late28": ("teafarm_signage_points_late", "Signage points answered after the 28 s deadline"),
    "late5": ("teafarm_signage_points_slow_lookup", "Signage points answered with a lookup over 5 s"),
    "proofs": ("teafarm_proofs", "Proofs the harvester found"),
}


def collect(src: Sources) -> Iterator[Metric]:
    yield from farmer_view(src)
    yield from plot_files(src)
    yield from farming(src)


def farmer_view(src: Sources) -> Iterator[Metric]:
    connected = GaugeMetricFamily("teafarm_harvester_connected", "1 while its farmer has the harvester connected", labels=HARVESTER)
    plots = GaugeMetricFamily("teafarm_harvester_plots", "Plots the farmer reports for the harvester, by status",
                              labels=[*HARVESTER, "status"])
    raw = GaugeMetricFamily("teafarm_harvester_raw_size_bytes", "Raw size of the harvester's valid plots", labels=HARVESTER)
    effective = GaugeMetricFamily("teafarm_harvester_effective_size_bytes",
                                  "Effective size of the harvester's valid plots (compression counted)", labels=HARVESTER)
    answered = GaugeMetricFamily("teafarm_harvester_last_answer_timestamp_seconds",
                                 "When the harvester last answered a signage point (Unix time)", labels=HARVESTER)
    for h in harvesters(src.store):
        if not h.farmer_machine:   # only its own client knows it: no farmer view to report
            continue
        labels = [h.machine, h.node_id]
        connected.add_metric(labels, 1 if h.connected else 0)
        for status, count in (("valid", h.plots), ("invalid", h.invalid), ("missing_key", h.missing_key),
                              ("duplicate", h.duplicate)):
            plots.add_metric([*labels, status], count)
        raw.add_metric(labels, h.size)
        effective.add_metric(labels, h.effective_size)
        if h.last_answer_time:
            answered.add_metric(labels, h.last_answer_time)
    yield from (connected, plots, raw, effective, answered)


def plot_files(src: Sources) -> Iterator[Metric]:
    labels = [*HARVESTER, "k", "compression"]
    count = GaugeMetricFamily("teafarm_plot_files", "Valid plot files by k and compression (from the plot rows: "
                              "chia.plot_rows all)", labels=labels)
    size = GaugeMetricFamily("teafarm_plot_files_size_bytes", "Bytes of valid plot files by k and compression", labels=labels)
    plots: Counter[tuple[str, ...]] = Counter()
    sizes: Counter[tuple[str, ...]] = Counter()
    for g in src.plot_groups:
        if g.status == "VALID":
            key = (g.machine, g.node_id, str(g.k), str(g.compression))
            plots[key] += g.plots
            sizes[key] += g.size
    for key, n in plots.items():
        count.add_metric(list(key), n)
        size.add_metric(list(key), sizes[key])
    yield from (count, size)


def farming(src: Sources) -> Iterator[Metric]:
    """Counters from each harvester's newest running-totals row (the bot folds new buckets every few
    seconds); the lookup histogram counts minutes by their p95 lookup time."""
    home = src.home
    totals: dict[tuple[str, str], list[int]] = {}
    for (farmer, node), row in totals_upto(src.botdb, LATEST).items():
        key = (home.get(node, farmer), node)
        values = [int(row[c] or 0) for c in COUNTS]
        previous = totals.get(key)   # two farmers reporting one harvester: add them up
        totals[key] = values if previous is None else [a + b for a, b in zip(previous, values)]
    index = {c: i for i, c in enumerate(COUNTS)}
    for column, (name, text) in FARMING_COUNTERS.items():
        family = CounterMetricFamily(name, text, labels=HARVESTER)
        for key, values in totals.items():
            family.add_metric(list(key), values[index[column]])
        yield family
    lookups = HistogramMetricFamily(
        "teafarm_lookup_p95_seconds", "Farming minutes by their p95 lookup time; histogram_quantile over an increase gives a "
        "window's lookup p95 like /missed's (no _sum: the totals keep bins, not times)", labels=HARVESTER)
    first_bin = index["h0"]
    edges = [floatToGoString(e) for e in LOOKUP_EDGES] + ["+Inf"]
    for key, values in totals.items():
        running, buckets = 0, []
        for edge, minutes in zip(edges, values[first_bin:]):
            running += minutes
            buckets.append((edge, running))
        lookups.add_metric(list(key), buckets, None)
    yield lookups


class PartialTotals:
    """Partials by harvester, pool and result: the partial facts folded after a cursor, so each
    scrape reads only those that arrived since the last (the first reads those the store keeps)."""

    def __init__(self) -> None:
        self.cursor = 0
        self.counts: Counter[tuple[str, str, str, str]] = Counter()

    def collect(self, src: Sources) -> Iterator[Metric]:
        home = src.home
        for farmer, node, launcher, accepted, n, last in src.query(
                "SELECT machine, harvester_node_id, launcher_id, accepted, count(*), max(seq) FROM partial_events "
                "WHERE seq > ? GROUP BY 1, 2, 3, 4", (self.cursor,)):
            node = node or ""
            self.counts[(home.get(node, farmer), node, launcher or "", "accepted" if accepted else "failed")] += n
            self.cursor = max(self.cursor, last)
        family = CounterMetricFamily("teafarm_partials", "Partials submitted to a pool, by result (counted from the "
                                     "partials the store kept at the bot's first scrape on)",
                                     labels=[*HARVESTER, "launcher_id", "result"])
        for key, n in self.counts.items():
            family.add_metric(list(key), n)
        yield family
