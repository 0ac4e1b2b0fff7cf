"""Per-topic throttling of UPDATEs. ADD and DELETE always go at once (a disk that vanished is news).

A throttled update is not dropped: the base keeps the old entity, so the next diff after the
topic is due again still sees the change (the predecessor advanced its base and lost it).
"""
from __future__ import annotations


class Throttle:
    def __init__(self, min_seconds: dict[str, float]) -> None:
        self.min_seconds = min_seconds
        self._last_sent: dict[str, float] = {}

    def due(self, topic: str, now: float) -> bool:
        interval = self.min_seconds.get(topic, 0.0)
        return interval <= 0 or now - self._last_sent.get(topic, float("-inf")) >= interval

    def sent(self, topic: str, now: float) -> None:
        self._last_sent[topic] = now
