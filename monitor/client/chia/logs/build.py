"""Build the log-file collectors from the `chia` settings: chia's debug.log and the plotter logs.
The chia setup calls this and plugs its farming statistics aggregator in as `on_event`."""
from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from monitor.client.chia.chia_root import ChiaRoot
from monitor.client.chia.logs import events as ev
from monitor.client.chia.logs.collector import ChiaLogCollector, OtherSources
from monitor.client.chia.settings import ChiaSettings
from monitor.client.collector import Collector
from monitor.client.plotters.collector import PlotterCollector

STATE_FILE_NAME = "chia-log-position.json"


def debug_log_path(configured: str, chia_root: Path) -> Path | None:
    """The debug.log to follow: `chia.debug_log`, or <root>/log/debug.log; None when set to "off"."""
    if configured.strip().lower() == "off":
        return None
    return Path(configured).expanduser() if configured else chia_root / "log" / "debug.log"


def log_collectors(settings: ChiaSettings, chia_root: Path, state_dir: Path,
                   on_event: Callable[[ev.LogEvent], None] = lambda event: None,
                   elsewhere: OtherSources | None = None) -> list[Collector]:
    """`elsewhere`: the better sources of the proofs and blocks seen in debug.log (the daemon's
    events, the wallet), which the log's lines then describe again."""
    collectors: list[Collector] = []
    debug_log = debug_log_path(settings.debug_log, chia_root)
    if debug_log is not None:
        configured = str(settings.log_state_file)
        state_file = settings.log_state_file if configured not in ("", ".") else state_dir / STATE_FILE_NAME
        collectors.append(ChiaLogCollector(
            debug_log, state_file, on_event, chia_root=chia_root,
            harvester_node_id=ChiaRoot.load(chia_root).harvester_node_id() or "",
            blind_after_lines=settings.log_blind_after_lines, elsewhere=elsewhere))
    if settings.plotter_logs:
        collectors.append(PlotterCollector(settings.plotter_logs, settings.plotter_stale_after))
    return collectors
