"""Settings of chia collection (config section `chia`)."""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal


@dataclass
class ChiaSettings:
    enabled: bool = True               # false: read nothing of chia (a machine without it)
    root: str = ""                     # "" -> $CHIA_ROOT, else ~/.chia/mainnet
    rpc_timeout: float = 10.0          # seconds a chia RPC call may take before the service counts as failing
    poll_interval: float = 30.0        # seconds between RPC summaries (daemon events bring changes sooner)
    plot_list_interval: float = 3600.0  # re-read the local harvester's full plot list at least this often
    # rows per plot of this machine's harvester (what /plots summarises by k, compression and disk):
    # "all", "problems" (only unreadable and foreign-key plots), "none"; counts per harvester are
    # always sent. A list is diffed only when it changed (100k rows: ~0.3 % of a core, ~190 MiB)
    plot_rows: Literal["problems", "all", "none"] = "all"
    slow_lookup: float = 5.0           # seconds: an answered signage point with a slower lookup counts as slow
    late_after: float = 28.0           # seconds after the signage point: an answer later than this is late
    forget_harvester_after: float = 86400.0  # drop a disconnected harvester after this many seconds (until then it misses every signage point)
    # ---- log files (debug.log is the fallback to RPC and daemon events; needs chia's log_level INFO) ----
    debug_log: str = ""                # "" -> <root>/log/debug.log; "off" -> do not read chia's log
    log_state_file: Path = Path("")    # "" -> <data_dir>/client-state/chia-log-position.json (where reading stopped)
    log_blind_after_lines: int = 1000  # a parser that matched before is "blind" after this many lines of its logger without a match
    plotter_logs: list[str] = field(default_factory=list)  # glob patterns of plotter log files (bladebit, MadMax, chia)
    plotter_stale_after: float = 21600.0  # seconds without a new plotter log line before the job is dropped (crashed plotter)
