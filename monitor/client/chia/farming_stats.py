"""Signage points in, one FarmingBucket per harvester per minute and one SignageBucket per minute out.

Words as in chia.md: each signage point is *answered* (in time), *late* (answered after `late_after` s,
which loses the proof: the bot counts it as missed) or *missed* (no answer), so answered + late + missed
= expected. *Slow* answers (lookup over `slow_lookup` s) are also answered. Farm-level *skipped*
signage points are those the farmer never received: an index gap within a sub-slot (an index seen
before never counts again) or, across sub-slots, the 9.375 s schedule (the farmer's own rule: a gap
of 1.6 intervals or more counts floor(gap / 9.375)).

A harvester's *expected* signage points are all those of the time its farmer knows it: received or
skipped (a skipped one could not be answered: the harvester missed it), and while it is
disconnected too, until the farmer forgets it (`forget_harvester_after`): it misses them all,
counted apart as `sp_missed_disconnected` so the bot can tell them from a harvester that is
connected and slow.

An SP is settled `settle_after` seconds after it arrived (or once every expected harvester answered);
a minute's buckets are handed out once every SP of that minute is settled. All times are this
client's clock (when the event reached us), so delays never mix two machines' clocks.
"""
from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import asdict, dataclass, field
from typing import Any

from monitor.client.chia.percentile import percentile
from protocol import chia_pb2

SP_INTERVAL = 600 / 64                      # seconds between signage points
SKIP_GAP_FACTOR = 1.6                       # the farmer's allowance before a gap counts as skipped SPs


@dataclass
class _Answer:
    delay: float
    lookup: float
    eligible: int
    proofs: int
    total_plots: int


@dataclass
class _PendingSp:
    received: float
    expected: set[str]                  # connected when it arrived (or answered since)
    plot_filter: int | None
    away: set[str] = field(default_factory=set)   # known to the farmer, disconnected: expected, cannot answer
    answers: dict[str, _Answer] = field(default_factory=dict)


@dataclass
class _HarvesterMinute:
    expected: int = 0
    answered: int = 0
    missed: int = 0
    missed_away: int = 0                # of missed: while disconnected from the farmer
    slow: int = 0
    late: int = 0
    lookups: list[float] = field(default_factory=list)
    eligible: int = 0
    expected_eligible: float = 0.0
    proofs: int = 0
    total_plots: int = 0


@dataclass
class _SignageMinute:
    seen: int = 0
    skipped: int = 0


class FarmingStats:
    def __init__(self, slow_lookup: float = 5.0, late_after: float = 28.0, settle_after: float = 60.0) -> None:
        self.slow_lookup = slow_lookup
        self.late_after = late_after
        self.settle_after = max(settle_after, late_after)
        self.plot_filter: int | None = None             # 1 plot in this many passes: set from network + peak height
        self._pending: dict[str, _PendingSp] = {}       # sp hash -> SP waiting for answers
        self._harvester_minutes: dict[tuple[str, float], _HarvesterMinute] = {}
        self._signage_minutes: dict[float, _SignageMinute] = {}
        self._plots: dict[str, int] = {}                # node_id -> plots at its last answer
        self._seen: dict[str, set[int]] = {}            # challenge -> indexes seen (last few sub-slots)
        self._last: tuple[str, int, float] | None = None  # challenge, index, time of the last new SP

    @staticmethod
    def _minute(t: float) -> float:
        return math.floor(t / 60) * 60.0

    def signage_point(self, sp_hash: str, challenge: str, index: int, received: float,
                      connected: Iterable[str], away: Iterable[str] = ()) -> None:
        """The farmer received a signage point; `connected` are the harvesters expected to answer,
        `away` those it knows that are disconnected (expected too: they miss it)."""
        seen = self._seen.setdefault(challenge, set())
        if index in seen or sp_hash in self._pending:
            return                                      # duplicate or reorg: never counted twice
        skipped = self._skipped(challenge, index, received, seen)
        signage = self._signage_minutes.setdefault(self._minute(received), _SignageMinute())
        signage.seen += 1
        signage.skipped += skipped
        seen.add(index)
        if len(self._seen) > 4:                         # older sub-slots cannot come back
            del self._seen[next(iter(self._seen))]
        self._last = (challenge, index, received)
        pending = _PendingSp(received, set(connected), self.plot_filter, set(away) - set(connected))
        self._pending[sp_hash] = pending
        if skipped:
            self._missed_by_all(pending, skipped)

    def _missed_by_all(self, pending: _PendingSp, count: int) -> None:
        """Signage points the node skipped: every harvester expected now missed them."""
        minute = self._minute(pending.received)
        for node_id in pending.expected | pending.away:
            stats = self._harvester_minutes.setdefault((node_id, minute), _HarvesterMinute())
            stats.expected += count
            stats.missed += count
            stats.missed_away += count if node_id in pending.away else 0
            if pending.plot_filter is not None:
                stats.expected_eligible += count * self._plots.get(node_id, 0) / pending.plot_filter

    def _skipped(self, challenge: str, index: int, received: float, seen: set[int]) -> int:
        if self._last is None:
            return 0
        last_challenge, _, last_time = self._last
        if challenge == last_challenge:
            highest = max(seen) if seen else index
            return sum(1 for i in range(highest + 1, index) if i not in seen)
        gap = received - last_time
        return math.floor(gap / SP_INTERVAL) if gap >= SKIP_GAP_FACTOR * SP_INTERVAL else 0

    def farming_info(self, node_id: str, sp_hash: str, received: float, lookup: float, eligible: int,
                     proofs: int, total_plots: int) -> None:
        """A harvester answered a signage point (lookup in seconds)."""
        self._plots[node_id] = total_plots
        pending = self._pending.get(sp_hash)
        if pending is None or node_id in pending.answers:
            return                                      # SP before our start, or already settled
        pending.expected.add(node_id)                   # connected after the SP arrived: still counts
        pending.answers[node_id] = _Answer(received - pending.received, lookup, eligible, proofs, total_plots)

    def logged_answer(self, node_id: str, t: float, lookup: float, eligible: int, proofs: int, total_plots: int) -> None:
        """A harvester's own log line for one SP (the fallback without daemon events): it was
        expected and answered, in time unless the lookup alone took longer than `late_after`; what
        it missed cannot be seen from its log."""
        stats = self._harvester_minutes.setdefault((node_id, self._minute(t)), _HarvesterMinute())
        stats.expected += 1
        if lookup > self.late_after:
            stats.late += 1
        else:
            stats.answered += 1
            stats.slow += lookup > self.slow_lookup
        stats.lookups.append(lookup)
        stats.eligible += eligible
        stats.proofs += proofs
        stats.total_plots = max(stats.total_plots, total_plots)
        if self.plot_filter is not None:
            stats.expected_eligible += total_plots / self.plot_filter

    def logged_signage(self, t: float, seen: int, skipped: int) -> None:
        """Farm-level counts from the full node's log (the fallback without daemon events)."""
        signage = self._signage_minutes.setdefault(self._minute(t), _SignageMinute())
        signage.seen += seen
        signage.skipped += skipped

    def flush(self, now: float) -> tuple[list[chia_pb2.FarmingBucket], list[chia_pb2.SignageBucket]]:
        """Settle what is due; return the buckets of minutes that can no longer change."""
        for sp_hash, pending in list(self._pending.items()):
            if now >= pending.received + self.settle_after or pending.expected <= pending.answers.keys():
                self._settle(pending)
                del self._pending[sp_hash]
        open_from = min((p.received for p in self._pending.values()), default=now)
        done_before = min(self._minute(open_from), self._minute(now))
        farming = [self._farming_bucket(node_id, minute, stats)
                   for (node_id, minute), stats in sorted(self._harvester_minutes.items(), key=lambda kv: kv[0][1])
                   if minute < done_before]
        for bucket in farming:
            del self._harvester_minutes[(bucket.harvester_node_id, bucket.minute)]
        signage = [chia_pb2.SignageBucket(minute=minute, seen=s.seen, skipped=s.skipped)
                   for minute, s in sorted(self._signage_minutes.items()) if minute < done_before]
        for bucket in signage:
            del self._signage_minutes[bucket.minute]
        return farming, signage

    def _settle(self, pending: _PendingSp) -> None:
        minute = self._minute(pending.received)
        for node_id in pending.expected | pending.away:
            stats = self._harvester_minutes.setdefault((node_id, minute), _HarvesterMinute())
            stats.expected += 1
            answer = pending.answers.get(node_id)
            plots = answer.total_plots if answer else self._plots.get(node_id, 0)
            stats.total_plots = max(stats.total_plots, plots)
            if pending.plot_filter is not None:
                stats.expected_eligible += plots / pending.plot_filter
            if answer is None:
                stats.missed += 1
                stats.missed_away += node_id in pending.away
                continue
            if answer.delay > self.late_after:
                stats.late += 1
            else:
                stats.answered += 1
                stats.slow += answer.lookup > self.slow_lookup
            stats.lookups.append(answer.lookup)
            stats.eligible += answer.eligible
            stats.proofs += answer.proofs

    # ---- kept across a restart (the chia collector's checkpoint) ---------------------------------
    def state(self) -> dict[str, Any]:
        """What a client restart (a kill -9 too) must not lose: the minutes not handed out yet and
        the signage points still waiting for answers."""
        return {"harvesters": [[node_id, minute, asdict(stats)] for (node_id, minute), stats in self._harvester_minutes.items()],
                "signage": [[minute, s.seen, s.skipped] for minute, s in self._signage_minutes.items()],
                "pending": [[p.received, p.plot_filter, sorted(p.away),
                             {node_id: asdict(a) for node_id, a in p.answers.items()}] for p in self._pending.values()],
                "plots": self._plots}

    def restore(self, state: dict[str, Any]) -> None:
        """Resume from `state()`. A signage point that was waiting settles with the answers heard
        before the stop: one that came while the client was down is unknown, not missed. Which
        indexes were seen is not kept: the signage points of the downtime were not skipped by the
        node, only not heard here, and must not count as skipped."""
        for node_id, minute, stats in state["harvesters"]:
            self._harvester_minutes[(node_id, minute)] = _HarvesterMinute(**stats)
        for minute, seen, skipped in state["signage"]:
            self._signage_minutes[minute] = _SignageMinute(seen, skipped)
        for received, plot_filter, away, answers in state["pending"]:
            answered = {node_id: _Answer(**a) for node_id, a in answers.items()}
            self._settle(_PendingSp(received, set(answered), plot_filter, set(away), answered))
        self._plots.update(state["plots"])

    @staticmethod
    def _farming_bucket(node_id: str, minute: float, stats: _HarvesterMinute) -> chia_pb2.FarmingBucket:
        lookups = sorted(stats.lookups)
        return chia_pb2.FarmingBucket(
            harvester_node_id=node_id, minute=minute, sp_expected=stats.expected, sp_answered=stats.answered,
            sp_missed=stats.missed, sp_missed_disconnected=stats.missed_away, sp_late_5s=stats.slow, sp_late_28s=stats.late,
            lookup_p50=percentile(lookups, 0.5), lookup_p95=percentile(lookups, 0.95),
            lookup_max=lookups[-1] if lookups else 0.0, eligible_plots=stats.eligible,
            expected_eligible=round(stats.expected_eligible, 3), proofs=stats.proofs, total_plots=stats.total_plots)
