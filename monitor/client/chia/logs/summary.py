"""What `teafarm chia parse-log --summary` prints: counts per kind, proofs, blocks, signage points
seen and skipped, lookup times and eligible plots over a replayed log.

Summaries of several files (or segments of one) merge in file order; signage points are kept as a
sequence and counted at the end, because skips are judged across the order of SPs, also across
file boundaries. Signage point lines that do not parse make the count "not understood": a log
whose signage point lines changed shape must never read as a farm that skips them.
"""
from __future__ import annotations

from collections import Counter
from datetime import datetime
from operator import attrgetter

from monitor.client.chia.logs import events as ev
from monitor.client.chia.logs.parser import NEAR_MISSES_FOR_BLIND
from monitor.client.chia.logs.signage import SPS_PER_SUB_SLOT, SignagePointCounter
from monitor.client.chia.percentile import percentile


_KIND, _TIME = attrgetter("kind"), attrgetter("time")
_PROOFS, _V2, _ELIGIBLE, _LOOKUP = (attrgetter(name) for name in ("proofs", "v2_qualities", "eligible", "lookup_seconds"))


class LogSummary:
    def __init__(self) -> None:
        self.lines = 0
        self.counts: Counter[str] = Counter()
        self.near_misses: Counter[str] = Counter()
        self.proofs = 0
        self.v2_qualities = 0
        self.blocks = 0
        self.lookups: list[float] = []
        self.eligible = 0
        self.signage: list[tuple[int, float]] = []   # (SP index, time); index 64: a sub-slot ended
        self.first_time: float | None = None
        self.last_time: float | None = None

    def add(self, events: list[ev.LogEvent]) -> None:
        """The events of one parsed block (a block at a time: parse-log adds ~100k events per 50 MB)."""
        if not events:
            return
        batch = Counter(map(_KIND, events))             # C-level loops: no Python code per event
        self.counts.update(batch)
        times = list(map(_TIME, events))
        self._times(min(times), max(times))
        if batch["harvester_answer"]:
            answers = [event for event in events if type(event) is ev.HarvesterAnswer]
            self.proofs += sum(map(_PROOFS, answers))
            self.v2_qualities += sum(map(_V2, answers))
            self.eligible += sum(map(_ELIGIBLE, answers))
            self.lookups += map(_LOOKUP, answers)
        if batch["signage_point"] or batch["sub_slot"]:
            self.signage += [(event.index, event.time) if type(event) is ev.SignagePointFinished
                             else (SPS_PER_SUB_SLOT, event.time)
                             for event in events if type(event) in (ev.SignagePointFinished, ev.SubSlotFinished)]
        self.blocks += batch["block_farmed"]

    def _times(self, first: float, last: float) -> None:
        self.first_time = first if self.first_time is None else min(self.first_time, first)
        self.last_time = last if self.last_time is None else max(self.last_time, last)

    def merge(self, later: LogSummary) -> None:
        """Append the summary of the next (newer) file or segment."""
        self.lines += later.lines
        self.counts += later.counts
        self.near_misses += later.near_misses
        self.proofs += later.proofs
        self.v2_qualities += later.v2_qualities
        self.blocks += later.blocks
        self.lookups += later.lookups
        self.eligible += later.eligible
        self.signage += later.signage
        if later.first_time is not None and later.last_time is not None:
            self._times(later.first_time, later.last_time)

    def signage_understood(self) -> bool:
        return self.near_misses["signage_point"] < NEAR_MISSES_FOR_BLIND

    def signage_points(self) -> SignagePointCounter:
        counter = SignagePointCounter()
        for index, time in self.signage:
            if index == SPS_PER_SUB_SLOT:
                counter.sub_slot_finished(time)
            else:
                counter.signage_point(index, time)
        return counter

    def render(self) -> str:
        recognised = sum(self.counts.values())
        out = [f"lines: {self.lines}  recognised: {recognised}  unrecognised: {self.lines - recognised}"]
        if self.first_time is not None and self.last_time is not None:
            out.append(f"from {_iso(self.first_time)} to {_iso(self.last_time)}")
        out.append("per kind:")
        for kind in ev.KINDS:
            if self.counts[kind] or self.near_misses[kind]:
                miss = f"  (did not parse: {self.near_misses[kind]})" if self.near_misses[kind] else ""
                out.append(f"  {kind:<22} {self.counts[kind]}{miss}")
        out.append(f"proofs: {self.proofs}  v2 qualities: {self.v2_qualities}  blocks: {self.blocks}")
        if self.signage_understood():
            signage = self.signage_points()
            out.append(f"signage points: seen {signage.seen}  skipped {signage.skipped}")
        else:
            out.append(f"signage points: NOT UNDERSTOOD (blind): {self.near_misses['signage_point']} signage point "
                       f"lines did not parse (a new chia line shape?); skipped ones are not counted")
        lookups = sorted(self.lookups)
        if lookups:
            out.append(f"lookup seconds: p50 {percentile(lookups, 0.5):.5f}  p95 {percentile(lookups, 0.95):.5f}"
                       f"  max {lookups[-1]:.5f}  ({len(lookups)} answers)")
            out.append(f"eligible plots: {self.eligible} total, {self.eligible / len(lookups):.3f} per answer")
        return "\n".join(out)


def _iso(epoch: float) -> str:
    return datetime.fromtimestamp(epoch).isoformat(timespec="milliseconds")
