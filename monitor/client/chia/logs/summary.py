"""What `teafarm chia parse-log --summary` prints: counts per kind, proofs, blocks, signage points
seen and skipped, lookup times and eligible plots over a replayed log.

Summaries of several files merge in file order (parse-log summarises rotated files in parallel);
signage points are kept as a sequence and counted at the end, because skips are judged across the
order of SPs, also across file boundaries.
"""
from __future__ import annotations

from collections import Counter
from datetime import datetime

from monitor.client.chia.farming_stats import percentile
from monitor.client.chia.logs import events as ev
from monitor.client.chia.logs.signage import SPS_PER_SUB_SLOT, SignagePointCounter


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

    def add(self, event: ev.LogEvent) -> None:
        self.counts[event.kind] += 1
        if self.first_time is None or event.time < self.first_time:
            self.first_time = event.time
        if self.last_time is None or event.time > self.last_time:
            self.last_time = event.time
        if isinstance(event, ev.HarvesterAnswer):
            self.proofs += event.proofs
            self.v2_qualities += event.v2_qualities
            self.lookups.append(event.lookup_seconds)
            self.eligible += event.eligible
        elif isinstance(event, ev.SignagePointFinished):
            self.signage.append((event.index, event.time))
        elif isinstance(event, ev.SubSlotFinished):
            self.signage.append((SPS_PER_SUB_SLOT, event.time))
        elif isinstance(event, ev.BlockFarmed):
            self.blocks += 1

    def merge(self, later: LogSummary) -> None:
        """Append the summary of the next (newer) file."""
        self.lines += later.lines
        self.counts += later.counts
        self.near_misses += later.near_misses
        self.proofs += later.proofs
        self.v2_qualities += later.v2_qualities
        self.blocks += later.blocks
        self.lookups += later.lookups
        self.eligible += later.eligible
        self.signage += later.signage
        for time in (later.first_time, later.last_time):
            if time is not None:
                self.first_time = time if self.first_time is None else min(self.first_time, time)
                self.last_time = time if self.last_time is None else max(self.last_time, time)

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
        signage = self.signage_points()
        out.append(f"signage points: seen {signage.seen}  skipped {signage.skipped}")
        lookups = sorted(self.lookups)
        if lookups:
            out.append(f"lookup seconds: p50 {percentile(lookups, 0.5):.5f}  p95 {percentile(lookups, 0.95):.5f}"
                       f"  max {lookups[-1]:.5f}  ({len(lookups)} answers)")
            out.append(f"eligible plots: {self.eligible} total, {self.eligible / len(lookups):.3f} per answer")
        return "\n".join(out)


def _iso(epoch: float) -> str:
    return datetime.fromtimestamp(epoch).isoformat(timespec="milliseconds")
