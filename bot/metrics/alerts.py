"""Open alerts (bot.alerts.lifecycle), by rule, severity and status (pending: waiting for its
debounce or grace; firing: announced)."""
from __future__ import annotations

from collections import Counter
from collections.abc import Iterator

from prometheus_client.core import GaugeMetricFamily, Metric

from bot.alerts.lifecycle import open_alerts
from bot.metrics.sources import Sources


def collect(src: Sources) -> Iterator[Metric]:
    family = GaugeMetricFamily("teafarm_alerts_open", "Problems the bot's alert rules see now",
                               labels=["rule", "severity", "status"])
    counts = Counter((a.rule, a.severity, a.status) for a in open_alerts(src.botdb))
    for key, n in sorted(counts.items()):
        family.add_metric(list(key), n)
    yield family
