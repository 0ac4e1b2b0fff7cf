"""The chia debug.log collector: follow the log, parse it, hand every event on, report log health.

Events go to `on_event` (the farming statistics aggregator plugs in there). Proofs and blocks are
facts on their own: they are queued here with the time of their log line, and the client is woken
so they go out at once, while `facts_wanted()` says no better source reports them (the farmer's
daemon events report proofs, the wallet blocks: the same proof must never be counted twice).
`collect` fills `snapshot.log_health`.
"""
from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable
from pathlib import Path

from monitor.client.chia.logs import events as ev
from monitor.client.follower import LogFollower
from monitor.client.chia.logs.health import LogHealth, chia_log_level, warn_if_log_level_hides_info
from monitor.client.chia.logs.parser import ChiaLogParser
from monitor.client.collector import Collector
from protocol import chia_pb2, events_pb2

log = logging.getLogger(__name__)


class ChiaLogCollector(Collector):
    name = "chia_log"
    topics = ("log_health",)

    def __init__(self, debug_log: Path, state_file: Path | None,
                 on_event: Callable[[ev.LogEvent], None] = lambda event: None,
                 chia_root: Path | None = None, harvester_node_id: str = "",
                 blind_after_lines: int = 1000, follower: LogFollower | None = None,
                 facts_wanted: Callable[[], bool] = lambda: True, health_interval: float = 60.0) -> None:
        super().__init__()
        self.debug_log = Path(debug_log)
        self.on_event = on_event
        self.chia_root = chia_root
        self.harvester_node_id = harvester_node_id   # this machine's harvester, when known
        # proofs and blocks are facts only while no better source reports them (the farmer's
        # daemon events, the wallet): the same proof must not be sent twice
        self.facts_wanted = facts_wanted
        self.follower = follower or LogFollower(self.debug_log, state_file)
        self.parser = ChiaLogParser()
        self.health = LogHealth(str(self.debug_log), blind_after_lines)
        self.chia_log_level = ""
        self.health_interval = health_interval
        self._health: list[chia_pb2.LogHealth] = []
        self._health_at = 0.0
        self._task: asyncio.Task | None = None

    async def start(self) -> None:
        if self.chia_root is not None:
            self.chia_log_level = chia_log_level(self.chia_root)
            warn_if_log_level_hides_info(self.chia_log_level, self.chia_root / "config" / "config.yaml")
        self._task = asyncio.create_task(self._follow(), name="chia-log-follower")

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            try:
                await self._task
            except asyncio.CancelledError:
                pass
            self._task = None
        self.follower.close()

    async def collect(self, snapshot: events_pb2.ComputerInfo) -> None:
        # match counts change with every signage point: refreshed once a `health_interval` (or at
        # once when a parser goes blind or sees again), not as a stream of updates every snapshot
        now = time.monotonic()
        blind = {m.parser for m in self._health if m.blind}
        current = self.health.messages(self.chia_log_level)
        if (not self._health or now - self._health_at >= self.health_interval
                or blind != {m.parser for m in current if m.blind} or len(current) != len(self._health)):
            self._health, self._health_at = current, now
        snapshot.log_health.extend(self._health)

    async def _follow(self) -> None:
        async for block in self.follower.blocks():
            self.handle(block)

    def handle(self, block: bytes) -> None:
        """Parse one block of whole lines and pass on what it holds."""
        events = self.parser.parse(block)
        for kind in self.health.observe(block, events, self.parser.near_misses):
            log.warning("the %s parser of %s is blind: chia's log lines for it stopped parsing "
                        "(a new chia version?)", kind, self.debug_log)
            self.wake()
        urgent = False
        for event in events:
            urgent |= self._facts_of(event)
            try:
                self.on_event(event)
            except Exception:  # one consumer's bug must not stop the log from being read
                log.exception("handling %s from %s failed", event.kind, self.debug_log)
        if urgent:
            self.wake()

    def _facts_of(self, event: ev.LogEvent) -> bool:
        if not isinstance(event, ev.HarvesterAnswer | ev.BlockFarmed) or not self.facts_wanted():
            return False
        if isinstance(event, ev.HarvesterAnswer) and event.proofs:
            for _ in range(event.proofs):
                self.add_fact("proof", chia_pb2.Proof(harvester_node_id=self.harvester_node_id,
                                                      signage_point=event.challenge), event.time)
            return True
        if isinstance(event, ev.BlockFarmed):
            self.add_fact("block", chia_pb2.BlockFarmed(header_hash=event.header_hash,
                                                        signage_point_index=event.sp_index), event.time)
            return True
        return False

