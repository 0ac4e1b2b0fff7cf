"""SMART health of physical disks (topic smart_disk, keyed by serial): a failing disk, reallocated
sectors that grow, a hot disk. Values of a disk in standby or unreadable are its last ones, so they
never make an alert come or go by themselves."""
from __future__ import annotations

from bot.alerts.rules.base import Finding, Rule, RuleContext
from bot.alerts.transition import Transition

HYSTERESIS = 3.0      # degrees below the threshold before "recovered", so a disk at the edge does not flap
MEMORY = "disk_reallocated"   # per disk: the reallocated count at the last alert (or when first seen)
FAILED = "SMART_HEALTH_FAILED"


def label(row: dict) -> str:
    """`/dev/sdb (WDC WUH721414ALE6L4, serial 9JG4K2ZT)`: the device moves, the serial does not."""
    model = f"{row.get('model')}, " if row.get("model") else ""
    return f"{row.get('device') or '?'} ({model}serial {row.get('id')})"


def is_nvme(row: dict) -> bool:
    return (row.get("device_type") or "").startswith("nvme")


def sectors(row: dict) -> str:
    counts = [f"{row[k]:,} {name}" for k, name in (("reallocated_sectors", "reallocated"), ("pending_sectors", "pending"))
              if (row.get(k) or 0) > 0]
    return f" ({', '.join(counts)} sectors)" if counts else ""


class SmartHealth(Rule):
    names = ("disk_failing", "disk_reallocated_sectors", "disk_hot")
    topics = ("smart_disk",)

    def check(self, t: Transition, ctx: RuleContext) -> list[Finding]:
        return [*self._failing(t), *self._reallocated(t, ctx), *self._hot(t, ctx)]

    def _failing(self, t: Transition) -> list[Finding]:
        was = (t.before or {}).get("health") == FAILED
        now = (t.after or {}).get("health") == FAILED
        if now and not was:
            return [Finding("disk_failing", t.machine, t.id, True, "Disk failing",
                            f"{label(t.after)} on {t.machine}: SMART overall health FAILED{sectors(t.after)}; "
                            f"copy what matters off it and replace it", source_time=t.server_time)]
        if was and not now:     # healthy again, or gone (replaced)
            return [Finding("disk_failing", t.machine, t.id, False, "Disk failing", source_time=t.server_time)]
        return []

    def _reallocated(self, t: Transition, ctx: RuleContext) -> list[Finding]:
        if t.after is None:
            ctx.memory.put(MEMORY, t.machine, t.id, None)
            return []
        count = int(t.after.get("reallocated_sectors") or 0)
        if count < 0:           # not reported (NVMe)
            return []
        mark = ctx.memory.get(MEMORY, t.machine, t.id)
        if mark is None:        # the count a disk arrives with is its history, not news
            before = (t.before or {}).get("reallocated_sectors")
            mark = int(before) if before is not None and before >= 0 else count
        findings = []
        if count - mark >= ctx.settings.reallocated_growth:
            pending = int(t.after.get("pending_sectors") or 0)
            findings.append(Finding("disk_reallocated_sectors", t.machine, t.id, True, "Reallocated sectors growing",
                                    f"{label(t.after)} on {t.machine}: reallocated sectors {mark:,} -> {count:,}"
                                    + (f", {pending:,} pending" if pending > 0 else ""),
                                    one_shot=True, source_time=t.server_time))
            mark = count
        mark = min(mark, count)   # a lower count (another disk's serial, a reset) is the new mark
        if mark != ctx.memory.get(MEMORY, t.machine, t.id):
            ctx.memory.put(MEMORY, t.machine, t.id, mark)
        return findings

    def _hot(self, t: Transition, ctx: RuleContext) -> list[Finding]:
        # said as a level (the engine keeps one alert per disk): a reading between the threshold
        # and the margin below it changes nothing, whichever way the disk was going
        row = t.after or t.before or {}
        threshold = ctx.settings.nvme_hot_celsius if is_nvme(row) else ctx.settings.disk_hot_celsius
        if t.after is not None and _celsius(t.after) >= threshold:
            return [Finding("disk_hot", t.machine, t.id, True, "Disk hot",
                            f"{label(t.after)} on {t.machine} is at {_celsius(t.after):.0f} °C (alert at {threshold:.0f} °C)",
                            source_time=t.server_time)]
        cool = t.after is None or _celsius(t.after) < threshold - HYSTERESIS
        if cool and _celsius(t.before) >= threshold - HYSTERESIS:
            return [Finding("disk_hot", t.machine, t.id, False, "Disk hot", source_time=t.server_time)]
        return []


def _celsius(row: dict | None) -> float:
    return float((row or {}).get("temperature_c") or 0.0)
