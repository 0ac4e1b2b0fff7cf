"""The chia debug.log collector: follow the log, parse it, hand every event on, report log health.

Events go to `on_event` (the farming statistics aggregator plugs in there). Proofs and blocks are
facts on their own: they are queued here with the time of their log line, and the client is woken
so they go out at once, unless a better source reported the moment they happened (`elsewhere`: the
farmer's daemon events report proofs, the wallet blocks; the same proof must never be counted twice).
`collect` fills `snapshot.log_health`.

The log position goes into the client's outbox with the facts of the lines before it, in one
transaction (`checkpoint`; `restore` resumes there): a client killed with facts still in memory reads
those lines again, one killed just after storing them does not. Beside it goes what the better
sources had reported by then, so the lines read again are judged by what was stored, not by a daemon
feed that the new process did not have yet. The state file keeps a copy, for a new outbox.
"""
from __future__ import annotations

import asyncio
import json
import logging
import time
from collections.abc import Callable
from pathlib import Path
from typing import Protocol

from monitor.client.chia.coverage import KEEP as KEEP_PERIODS, Coverage
from monitor.client.chia.logs import events as ev
from monitor.client.follower import LogFollower
from monitor.client.chia.logs.health import ChiaLogLevel, LogHealth
from monitor.client.chia.logs.parser import ChiaLogParser
from monitor.client.collector import Collector
from protocol import chia_pb2, events_pb2

log = logging.getLogger(__name__)

Periods = dict[str, list[tuple[float, float]]]   # fact kind ("proof", "block") -> periods (since, until)
SAVED_KEY = "reported_elsewhere"
HEALTH_KEY = "health"          # the parsers' counts up to the saved position


class OtherSources(Protocol):
    """Where proofs and blocks come from besides the log (the chia collector's RPC side)."""

    def reports(self, kind: str, at: float) -> bool:
        """It reports the fact of this kind that happened at `at`."""

    def reported(self) -> Periods:
        """The periods whose facts it has queued by now."""


class ChiaLogCollector(Collector):
    name = "chia_log"
    topics = ("log_health",)

    def __init__(self, debug_log: Path, state_file: Path | None,
                 on_event: Callable[[ev.LogEvent], None] = lambda event: None,
                 chia_root: Path | None = None, harvester_node_id: str = "",
                 blind_after_lines: int = 1000, follower: LogFollower | None = None,
                 elsewhere: OtherSources | None = None, health_interval: float = 60.0) -> None:
        super().__init__()
        self.debug_log = Path(debug_log)
        self.on_event = on_event
        self.chia_root = chia_root
        self.harvester_node_id = harvester_node_id   # this machine's harvester, when known
        # proofs and blocks are facts only when no better source reported them (the farmer's
        # daemon events, the wallet): the same proof must not be sent twice
        self.elsewhere = elsewhere
        self.follower = follower or LogFollower(self.debug_log, state_file)
        self._taken: tuple[object, Periods, dict] | None = None   # position, coverage, health when facts were taken last
        self.parser = ChiaLogParser()
        self.health = LogHealth(str(self.debug_log), blind_after_lines)
        self.log_level = ChiaLogLevel(chia_root)     # read again whenever chia's config.yaml changes
        self.health_interval = health_interval
        self._health: list[chia_pb2.LogHealth] = []
        self._health_at = 0.0
        self._task: asyncio.Task | None = None

    async def start(self) -> None:
        self.log_level.refresh()
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
        level_changed = self.log_level.refresh()
        blind = {m.parser for m in self._health if m.blind}
        current = self.health.messages(self.log_level.value)
        if (not self._health or level_changed or now - self._health_at >= self.health_interval
                or blind != {m.parser for m in current if m.blind} or len(current) != len(self._health)):
            self._health, self._health_at = current, now
        snapshot.log_health.extend(self._health)

    async def _follow(self) -> None:
        async for block in self.follower.blocks(commit=False):   # committed in facts_stored
            self.handle(block)

    def take_facts(self) -> list[events_pb2.UpdateEvent]:
        # every block read so far is handled (handle() runs between the follower's reads), so the
        # facts taken now are all those of the lines up to this position
        self._taken = (self.follower.position(), self._reported(), self.health.state())
        return super().take_facts()

    def checkpoint(self) -> str | None:
        if self._taken is None or self._taken[0] is None:
            return None
        position, reported, health = self._taken
        return json.dumps(self.follower.saved_state(position, {SAVED_KEY: reported, HEALTH_KEY: health}))

    def restore(self, checkpoint: str) -> None:
        try:
            saved = json.loads(checkpoint)
            self.follower.resume(saved)
            if saved.get("path") == str(self.debug_log):       # the same log: its counts go on from there
                self.health.restore(saved.get(HEALTH_KEY) or {})
        except (ValueError, TypeError, AttributeError):
            log.warning("ignoring an unreadable saved position of %s", self.debug_log)

    def facts_stored(self) -> None:
        if self._taken is not None:
            position, reported, _ = self._taken
            self._taken = None
            if position is not None:      # the state file's copy, for a client that loses its outbox
                self.follower.commit(position, {SAVED_KEY: reported})

    def _reported(self) -> Periods:
        """What the better sources reported by now, after what an earlier run had (the lines read
        again after a restart may be that old)."""
        saved = self.follower.saved.get(SAVED_KEY) or {}
        live = self.elsewhere.reported() if self.elsewhere is not None else {}
        return {kind: [*saved.get(kind, []), *live.get(kind, [])][-KEEP_PERIODS:] for kind in {*saved, *live}}

    def _reported_elsewhere(self, kind: str, at: float) -> bool:
        if self.elsewhere is not None and self.elsewhere.reports(kind, at):
            return True
        return Coverage((self.follower.saved.get(SAVED_KEY) or {}).get(kind)).covers(at)

    def handle(self, block: bytes) -> None:
        """Parse one block of whole lines and pass on what it holds."""
        events = self.parser.parse(block)
        for kind in self.health.observe(block, events, self.parser.near_misses):
            log.warning("the %s parser of %s is blind: chia's %s lines are not understood any more "
                        "(a new chia version?); nothing is counted from them until they parse again",
                        kind, self.debug_log, kind.replace("_", " "))
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
        if not isinstance(event, ev.HarvesterAnswer | ev.BlockFarmed):
            return False
        if self._reported_elsewhere("proof" if isinstance(event, ev.HarvesterAnswer) else "block", event.time):
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

