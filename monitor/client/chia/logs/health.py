"""Is the log parser still seeing what it should? (Monitoring that breaks silently when chia changes
a log line is what farmers complain about most.)

Per file and kind: lines matched and the last match. A kind goes "blind" when
- its lines keep appearing but no longer parse (near misses: the keyword is there, the regex
  fails: chia changed the line), or
- it used to match and has not since, while the logger that writes it kept writing many lines.
Only kinds that chia writes regularly while their service runs can go blind by silence; a block
farmed or an unreadable plot is rare by nature.

Chia's log level matters as much: at WARNING (chia's default) none of the INFO lines are written.
teafarm reads it from chia's config.yaml, again whenever that file changes, and says so; it never
changes the user's chia config.
"""
from __future__ import annotations

import logging
from dataclasses import asdict, dataclass
from pathlib import Path

from monitor.client.chia.chia_root import SERVICES, ChiaRoot, config_stamp
from monitor.client.chia.logs import events as ev
from monitor.client.chia.logs.parser import NEAR_MISSES_FOR_BLIND
from protocol import chia_pb2

log = logging.getLogger(__name__)

# kinds written regularly while their service runs (at INFO), and the logger
# that writes them (`src.` or `chia.` before it): silence counts only while that logger keeps
# writing, so a harvester whose farmer is away (its server logger retrying) is not called blind
REGULAR_KINDS: dict[str, bytes] = {
    "harvester_answer": b"harvester.harvester",
    "signage_point": b"full_node.full_node",
    "node_peak": b"full_node.full_node",
    "wallet_peak": b"wallet.wallet",
}  # not farming_info: the farmer's server logger keeps writing while no harvester is connected
VERBOSITY = ("DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL")


def hides_info(level: str) -> bool:
    """Every level above INFO (WARNING, ERROR, CRITICAL and their aliases) hides the INFO lines."""
    number = logging.getLevelName(level.upper())
    return isinstance(number, int) and number > logging.INFO


@dataclass
class KindHealth:
    matched: int = 0
    last_match_time: float = 0.0
    logger_lines_since: int = 0     # lines of the kind's logger since its last match
    near_misses_since: int = 0      # lines that held the keyword but did not parse, since the last match
    blind: bool = False


class LogHealth:
    def __init__(self, file: str, blind_after_lines: int = 1000) -> None:
        self.file = file
        self.blind_after_lines = blind_after_lines
        self.kinds: dict[str, KindHealth] = {kind: KindHealth() for kind in REGULAR_KINDS}
        self._near_misses_seen: dict[str, int] = {}

    def observe(self, block: bytes, events: list[ev.LogEvent], near_misses: dict[str, int]) -> list[str]:
        """Account for one parsed block; returns the kinds that just went blind."""
        for event in events:
            health = self.kinds.setdefault(event.kind, KindHealth())
            health.matched += 1
            health.last_match_time = max(health.last_match_time, event.time)
            health.logger_lines_since = 0
            health.near_misses_since = 0
        matched_now = {event.kind for event in events}
        for kind, total in near_misses.items():
            new = total - self._near_misses_seen.get(kind, 0)
            self._near_misses_seen[kind] = total
            if new and kind not in matched_now:
                self.kinds.setdefault(kind, KindHealth()).near_misses_since += new
        for kind, logger in REGULAR_KINDS.items():
            if kind not in matched_now:
                self.kinds[kind].logger_lines_since += block.count(logger)
        went_blind = []
        for kind, health in self.kinds.items():
            blind = self._is_blind(kind, health)
            if blind and not health.blind:
                went_blind.append(kind)
            health.blind = blind
        return went_blind

    def _is_blind(self, kind: str, health: KindHealth) -> bool:
        if health.near_misses_since >= NEAR_MISSES_FOR_BLIND:
            return True
        return (kind in REGULAR_KINDS and health.matched > 0
                and health.logger_lines_since >= self.blind_after_lines)

    def state(self) -> dict[str, dict]:
        """Each kind's counts, kept with the log's position: a restarted client resumes them, so its
        rows neither drop back to zero (a blind parser "seeing" again, then going blind a second time)
        nor vanish until their next match."""
        return {kind: asdict(health) for kind, health in self.kinds.items()}

    def restore(self, state: dict[str, dict]) -> None:
        self.kinds.update((kind, KindHealth(**values)) for kind, values in state.items())

    def messages(self, chia_log_level: str) -> list[chia_pb2.LogHealth]:
        """One LogHealth per kind that is expected, has matched or has failed to parse."""
        out = []
        for kind, health in sorted(self.kinds.items()):
            out.append(chia_pb2.LogHealth(
                id=f"{self.file}:{kind}", file=self.file, parser=kind, lines_matched=health.matched,
                last_match_time=health.last_match_time, blind=health.blind, chia_log_level=chia_log_level))
        return out


def chia_log_level(chia_root: Path) -> str:
    """The most verbose log level among chia's services (they share one debug.log), from chia's
    config.yaml; "" where chia is not installed."""
    root = ChiaRoot.load(chia_root)
    if not root.installed:
        return ""
    levels = [root.log_level(service).upper() for service in SERVICES]
    return min(levels, key=lambda level: VERBOSITY.index(level) if level in VERBOSITY else len(VERBOSITY))


def warn_if_log_level_hides_info(level: str, config_path: Path) -> bool:
    """Say (once per level seen: at start, and when it changes) that the log parser will see
    nothing; never change chia's config."""
    if not hides_info(level):
        return False
    log.warning("chia logs at %s (%s logging.log_level): the debug.log parser cannot see signage points, "
                "harvester answers or connections. To enable it run `chia configure --log-level INFO` "
                "(DEBUG for per-harvester farmer lines) and restart chia; teafarm does not change chia's config.",
                level, config_path)
    return True


class ChiaLogLevel:
    """Chia's log level, followed while the client runs: config.yaml is read again when it changes
    (a stat per check), and a change is said once in the client's log (chia uses it after a restart)."""

    def __init__(self, chia_root: Path | None) -> None:
        self.chia_root = chia_root
        self.value = ""
        self._stamp: object = ()          # never a real stamp: the first check reads the file

    def refresh(self) -> bool:
        """Read the level again if config.yaml changed; True when the level changed."""
        if self.chia_root is None:
            return False
        stamp = config_stamp(self.chia_root)
        if stamp == self._stamp:
            return False
        self._stamp = stamp
        level = chia_log_level(self.chia_root)
        if level == self.value:
            return False
        first, self.value = not self.value, level
        config = self.chia_root / "config" / "config.yaml"
        if not warn_if_log_level_hides_info(level, config) and not first and level:
            log.info("chia's log level is now %s (%s): the debug.log parser can read it once chia restarts",
                     level, config)
        return True
