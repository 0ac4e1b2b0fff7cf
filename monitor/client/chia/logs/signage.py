"""Farm-level signage points seen and skipped, from the full node's `Finished signage point` lines.

Skipped means the node never received an SP. Within a sub-slot it is judged by index (an index
seen before is not skipped again, even after a reorg or a duplicate line); across gaps (the node
was down, the log has a hole) by chia's schedule of one SP every 9.375 s.
"""
from __future__ import annotations

SP_INTERVAL = 9.375
SPS_PER_SUB_SLOT = 64


class SignagePointCounter:
    def __init__(self) -> None:
        self.seen = 0
        self.skipped = 0
        self._indices: set[int] = set()   # indices seen in the current sub-slot
        self._last_index = 0
        self._first_index = 0
        self._last_time: float | None = None

    def signage_point(self, index: int, time: float) -> None:
        if self._last_time is None:
            self._start_at(index)  # nothing is known before the first SP
        elif time - self._last_time >= SPS_PER_SUB_SLOT * SP_INTERVAL:
            # a gap longer than a sub-slot: indices no longer tell what was missed, the schedule does
            self.skipped += max(0, int((time - self._last_time) / SP_INTERVAL) - 1)
            self._start_at(index)
        elif index <= self._last_index and self._looks_like_next_sub_slot(index, time):
            self.skipped += self._unseen_after(self._last_index) + max(0, index - 1)
            self._start_at(index)
        elif index in self._indices:
            return  # a duplicate or a reorg: seen before, not seen again
        elif index > self._last_index:
            self.skipped += sum(1 for i in range(self._last_index + 1, index) if i not in self._indices)
            self._last_index = index
        elif index > self._first_index:
            self.skipped -= 1  # a late line of this sub-slot, counted as skipped when a later index came
        self._indices.add(index)
        self._last_time = time
        self.seen += 1

    def sub_slot_finished(self, time: float) -> None:
        """The sub-slot ended (SP 64/64): indices after the last one seen were skipped. A sub-slot
        without a single signage point seen says nothing: when chia rewords the signage point line
        only the sub-slot lines still parse, and 63 "skipped" per sub-slot would be a false alarm."""
        if self._last_time is not None and self._indices:
            self.skipped += self._unseen_after(self._last_index)
        self._new_sub_slot()
        self._last_time = time

    def _unseen_after(self, index: int) -> int:
        return sum(1 for i in range(index + 1, SPS_PER_SUB_SLOT) if i not in self._indices)

    def _looks_like_next_sub_slot(self, index: int, time: float) -> bool:
        """A lower index than the last: a late line of this sub-slot, or the next sub-slot whose
        start we did not see? Whichever schedule puts the SP closer to its time wins."""
        assert self._last_time is not None
        late_here = self._last_time - (self._last_index - index) * SP_INTERVAL
        in_next = self._last_time + (SPS_PER_SUB_SLOT - self._last_index + index) * SP_INTERVAL
        return abs(time - in_next) < abs(time - late_here)

    def _new_sub_slot(self) -> None:
        self._start_at(0)

    def _start_at(self, index: int) -> None:
        self._indices = set()
        self._last_index = index
        self._first_index = index   # indices below it were never counted as skipped
