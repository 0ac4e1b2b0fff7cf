"""The chia collectors of one machine, composed from the settings (`teafarm client` calls this).

RPC and daemon events (ChiaCollector) are the main source; chia's debug.log and the plotter logs
(log_collectors) follow, the debug.log events feeding the same farming statistics as the fallback
for a machine whose daemon events are not coming.
"""
from __future__ import annotations

from pathlib import Path

from monitor.client.chia.collector import ChiaCollector
from monitor.client.chia.logs.build import log_collectors
from monitor.client.chia.settings import ChiaSettings
from monitor.client.collector import Collector


def chia_collectors(settings: ChiaSettings, state_dir: Path) -> list[Collector]:
    chia = ChiaCollector(settings)
    logs = log_collectors(settings, chia.root.path, state_dir, on_event=chia.log_event)
    for collector in logs:
        _prefer_events(collector, chia)
    return [chia, *logs]


def _prefer_events(log_collector: Collector, chia: ChiaCollector) -> None:
    """One source per fact: while the daemon's events come, proofs are the farmer's (its `proof`
    events); while the wallet reports farmed blocks, blocks are the wallet's. The log's own proof
    and block lines then describe the same facts again and are dropped."""
    take_facts = log_collector.take_facts

    def take_facts_not_seen_by_rpc() -> list:
        facts = take_facts()
        return [f for f in facts if not (f.HasField("proof") and chia.daemon.connected)
                and not (f.HasField("block") and chia.reports_blocks)]
    log_collector.take_facts = take_facts_not_seen_by_rpc  # type: ignore[method-assign]
