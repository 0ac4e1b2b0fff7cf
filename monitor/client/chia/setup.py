"""The chia collectors of one machine, composed from the settings (`teafarm client` calls this).

RPC and daemon events (ChiaCollector) are the main source; chia's debug.log (ChiaLogCollector) is
the fallback and the log-health watch, its events feeding the same farming statistics; plotter logs
(PlotterCollector) only when patterns are configured.
"""
from __future__ import annotations

from pathlib import Path

from monitor.client.chia.collector import ChiaCollector
from monitor.client.chia.logs.collector import ChiaLogCollector, debug_log_path
from monitor.client.chia.settings import ChiaSettings
from monitor.client.collector import Collector
from monitor.client.plotters.collector import PlotterCollector


def chia_collectors(settings: ChiaSettings, state_dir: Path) -> list[Collector]:
    chia = ChiaCollector(settings)
    collectors: list[Collector] = [chia]
    log_file = debug_log_path(settings.debug_log, chia.root.path)
    if log_file is not None:
        state_file = settings.log_state_file if settings.log_state_file != Path("") else state_dir / "chia-log-position.json"
        state_file.parent.mkdir(parents=True, exist_ok=True)
        collectors.append(ChiaLogCollector(log_file, state_file, on_event=chia.log_event, chia_root=chia.root.path,
                                           harvester_node_id=chia.root.harvester_node_id() or "",
                                           blind_after_lines=settings.log_blind_after_lines))
    if settings.plotter_logs:
        collectors.append(PlotterCollector(settings.plotter_logs, settings.plotter_stale_after))
    return collectors
