"""`teafarm client`: collectors -> snapshot -> diff (throttled) -> outbox -> uplink.

The diff is made against the base: the state the queued events lead to, which is the state the
server confirmed once the outbox is drained. A collector that fails keeps its topics' last state.
"""
from __future__ import annotations

import asyncio
import logging
import time
from pathlib import Path

from monitor.certs import check_machine_name, ensure_client_cert
from monitor.client.chia.setup import chia_collectors
from monitor.client.collector import Collector, Kept, kept_of
from monitor.client.collectors.copier_status import CopierStatusCollector
from monitor.client.diff import State, apply_changes, diff_topic, entities_of, keep_unknown
from monitor.client.hardware import HardwareCollector
from monitor.client.memory import release_freed_memory
from monitor.client.outbox import Outbox
from monitor.client.chia.settings import ChiaSettings
from monitor.client.settings import ClientSettings
from monitor.client.smart import SmartCollector
from monitor.client.stream import Uplink
from monitor.client.throttle import Throttle
from monitor.tls import client_credentials, diagnose
from monitor.waits import wait_event
from protocol.registry import STATE_TOPICS
from protocol import events_pb2

log = logging.getLogger(__name__)

MIN_SNAPSHOT_GAP = 0.5      # seconds: a burst of wake() calls makes one snapshot
COLLECT_TIMEOUT = 20.0
FIRST_RESYNC_WAIT = 30
BIG_BATCH = 10_000          # events: after queueing this many, freed memory goes back to the OS
STOP_TIMEOUT = 5.0          # seconds the tasks, then the collectors, get to stop (teafarm up allows 15 in all)


def build_collectors(settings: ClientSettings, chia: ChiaSettings, copier_status_file: Path,
                     state_dir: Path) -> list[Collector]:
    collectors: list[Collector] = [HardwareCollector(settings.extra_mounts)]
    if chia.enabled:
        collectors += chia_collectors(chia, state_dir)
    collectors.append(CopierStatusCollector(copier_status_file))
    collectors += [SmartCollector(settings.smart_interval)] if settings.smart_interval else []
    return collectors


class ClientApp:
    def __init__(self, settings: ClientSettings, data_dir: Path, collectors: list[Collector]) -> None:
        """`settings` with the machine name and every path filled in; `data_dir` holds the farm CA
        when this machine is the server too (its certificate is then made on the first start)."""
        self.settings = settings
        self.data_dir = data_dir
        self.machine = check_machine_name(settings.machine_name)
        self.collectors = collectors
        self.throttle = Throttle(settings.throttle)
        self.outbox: Outbox | None = None
        self.base: State = {}
        self.uplink: Uplink | None = None
        self._wake = asyncio.Event()
        self._tasks: list[asyncio.Task] = []
        self._failing: set[str] = set()
        self._held: set[str] = set()                       # topics with updates held back by the throttle
        # as last collected; a topic not collected yet is absent (unknown), never "no entities"
        self._last_entities: dict[str, dict] = {}
        self._unstored_facts: list[events_pb2.UpdateEvent] = []  # taken from collectors, not in the outbox yet
        self._checkpoints: dict[str, str] = {}             # the collectors' checkpoints as stored

    async def start(self) -> None:
        settings = self.settings
        pair = ensure_client_cert(self.data_dir, settings.certificate, settings.key, self.machine)
        credentials = client_credentials(pair, settings.ca)
        self.outbox = Outbox(settings.outbox)
        self.base = self.outbox.load_base()
        self._checkpoints = self.outbox.checkpoints()
        self.uplink = Uplink(settings.server, credentials, self.outbox, self.machine, settings.heartbeat, self._resync)
        self.uplink.explain_failure = lambda: diagnose(settings.server, pair, settings.ca)
        for collector in self.collectors:
            collector.wake = self._wake.set
            if collector.name in self._checkpoints:
                collector.restore(self._checkpoints[collector.name])
            await collector.start()
        self._tasks = [asyncio.create_task(self._snapshot_loop(), name="snapshots"),
                       asyncio.create_task(self.uplink.run(), name="uplink")]
        log.info("teafarm client for machine %s -> %s (%d collectors, outbox %s)", self.machine, settings.server,
                 len(self.collectors), self.outbox.pending_count())

    async def stop(self) -> None:
        """Bounded: a task or collector that ignores its cancellation (a thread stuck on a dead disk)
        is logged and left behind, so the process still exits; the outbox is closed either way."""
        for task in self._tasks:
            task.cancel()
        await _ended(self._tasks)
        # each in its own task: a stop that swallows its cancellation cannot be cut short inline
        await _ended([asyncio.create_task(c.stop(), name=f"collector {c.name}") for c in self.collectors])
        if self.outbox is not None:
            self.outbox.close()

    async def _snapshot_loop(self) -> None:
        if self.outbox.is_new:
            # a new outbox has no base: diffing against nothing would re-add everything the
            # server already has and never delete what vanished meanwhile
            if not await wait_event(self.uplink.resynced, FIRST_RESYNC_WAIT):
                log.warning("server unreachable for %d s: starting from an empty state", FIRST_RESYNC_WAIT)
        while True:
            started = time.monotonic()
            try:
                if await self.snapshot_once() >= BIG_BATCH:
                    release_freed_memory()  # the batch and its copies are gone now
            except Exception:
                log.exception("snapshot failed")
                self._held.update(t.name for t in STATE_TOPICS)  # diff what was collected again next time
            self._wake.clear()
            await wait_event(self._wake, self.settings.interval)
            await asyncio.sleep(max(0.0, MIN_SNAPSHOT_GAP - (time.monotonic() - started)))

    async def snapshot_once(self) -> int:
        """Collect, diff and queue; returns how many events were queued."""
        parts: list[events_pb2.ComputerInfo] = []
        kept: Kept = {}                # failed, unchanged or not known yet: their last state stands
        for collector in self.collectors:
            part, collector_kept = await self._collect(collector)
            for field, unknown in collector_kept.items():
                kept[field] = None if field in kept and kept[field] is None else unknown
            if part is not None:
                parts.append(part)
        now = time.time()
        events, moves = [], []
        for topic in STATE_TOPICS:
            field = topic.snapshot_field
            if field in kept and kept[field] is None:
                if topic.name not in self._held or topic.name not in self._last_entities:
                    continue
                entities = self._last_entities[topic.name]  # held-back updates become due on their own
            else:
                entities = entities_of(parts, topic)
                if field in kept:            # the entities not known yet keep their last state
                    entities = keep_unknown(entities, self.base.get(topic.name, {}), kept[field])
                self._last_entities[topic.name] = entities
            changes = diff_topic(topic, self.base.get(topic.name, {}), entities, now)
            if any(e.event_type == events_pb2.UPDATE for e in changes):
                if self.throttle.due(topic.name, now):
                    self.throttle.sent(topic.name, now)
                    self._held.discard(topic.name)
                else:
                    changes = [e for e in changes if e.event_type != events_pb2.UPDATE]
                    self._held.add(topic.name)
            events += changes
            moves.append((topic, entities, changes))
        checkpoints = {}
        for collector in self.collectors:
            self._unstored_facts += collector.take_facts()   # kept here until stored: a failed enqueue loses none
            checkpoint = collector.checkpoint()
            if checkpoint is not None and checkpoint != self._checkpoints.get(collector.name):
                checkpoints[collector.name] = checkpoint
        events += self._unstored_facts
        if events:
            self.outbox.enqueue(events, checkpoints)   # facts and where their log was read to: one transaction
            for topic, entities, changes in moves:
                apply_changes(self.base, topic, entities, changes)
            self.uplink.wake()
        elif checkpoints:
            self.outbox.save_checkpoints(checkpoints)
        self._unstored_facts = []
        self._checkpoints.update(checkpoints)
        for collector in self.collectors:
            try:
                collector.facts_stored()
            except Exception:
                log.exception("collector %s: recording stored facts failed", collector.name)
        return len(events)

    async def _collect(self, collector: Collector) -> tuple[events_pb2.ComputerInfo | None, Kept]:
        """The collector's part of the snapshot (None if it failed) and what of it keeps its last state."""
        part = events_pb2.ComputerInfo()
        try:
            async with asyncio.timeout(COLLECT_TIMEOUT):     # not wait_for: see monitor/waits.py
                kept = kept_of(await collector.collect(part))
        except asyncio.CancelledError:
            raise
        except Exception as exc:
            if collector.name not in self._failing:
                log.warning("collector %s failed (%s: %s); its last state is kept", collector.name, type(exc).__name__, exc,
                            exc_info=log.isEnabledFor(logging.DEBUG))
                self._failing.add(collector.name)
            return None, dict.fromkeys(collector.topics)
        if collector.name in self._failing:
            log.info("collector %s works again", collector.name)
            self._failing.discard(collector.name)
        return part, kept

    def _resync(self, server_state: State) -> None:
        if server_state == self.base:
            return
        log.info("the server's state for %s differs from the local base: resyncing", self.machine)
        self.base = server_state
        self.outbox.replace_base(server_state)
        self._wake.set()


async def _ended(tasks: list[asyncio.Task]) -> None:
    """Wait up to STOP_TIMEOUT for `tasks` to end; log the ones that failed or still run (left behind)."""
    if not tasks:
        return
    done, running = await asyncio.wait(tasks, timeout=STOP_TIMEOUT)
    for task in done:
        if not task.cancelled() and task.exception() is not None:
            log.error("%s did not stop cleanly", task.get_name(), exc_info=task.exception())
    for task in running:
        log.error("%s did not stop within %g s; leaving it", task.get_name(), STOP_TIMEOUT)
