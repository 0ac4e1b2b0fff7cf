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
    # one source per fact: a proof the daemon's events reported, a block the wallet reported, is
    # not taken again from the log's line about it
    return [chia, *log_collectors(settings, chia.root.path, state_dir, on_event=chia.log_event, elsewhere=chia)]
