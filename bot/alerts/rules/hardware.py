"""Disks gone, unreadable or almost full; RAM full. Plot disks are meant to be full: a disk that
holds plots is never "almost full"."""
from __future__ import annotations

from bot.alerts.rules.base import Finding, Rule, RuleContext
from bot.alerts.rules.plots import plots_on_disk
from bot.alerts.transition import Transition

HYSTERESIS = 2.0     # percent below the threshold before "recovered", so a value at the edge does not flap


class DiskHealth(Rule):
    names = ("disk_gone", "disk_full")
    topics = ("disk",)

    def check(self, t: Transition, ctx: RuleContext) -> list[Finding]:
        findings = []
        mount = t.id
        plots = plots_on_disk(ctx, t.machine, mount)
        on_it = f"; {plots:,} plots were on it" if plots else ""
        if t.deleted:
            findings.append(self._gone(t, True, f"{mount} on {t.machine} is gone (unmounted or unplugged){on_it}"))
        else:
            error = t.after.get("error") or ""
            had_error = bool(t.before and t.before.get("error"))
            if error and not had_error:
                findings.append(self._gone(t, True, f"{mount} on {t.machine} cannot be read: {error}{on_it}"))
            elif not error and (had_error or t.added):
                findings.append(self._gone(t, False, f"{mount} on {t.machine} is back"))
        threshold = ctx.settings.disk_full_percent
        was = _percent(t.before) >= threshold
        now = _percent(t.after) >= threshold
        if now and not was and not holds_plots(ctx, t.machine, mount, plots):
            free = (t.after or {}).get("free_bytes") or 0
            findings.append(Finding("disk_full", t.machine, mount, True, "Disk almost full",
                                    f"{mount} on {t.machine} is {_percent(t.after):.0f}% full ({free / 2**30:.1f} GiB free)",
                                    source_time=t.server_time))
        elif was and (t.deleted or _percent(t.after) < threshold - HYSTERESIS):
            findings.append(Finding("disk_full", t.machine, mount, False, "Disk almost full", source_time=t.server_time))
        return findings

    def _gone(self, t: Transition, active: bool, detail: str) -> Finding:
        return Finding("disk_gone", t.machine, t.id, active, "Disk gone", detail, source_time=t.server_time)


class RamFull(Rule):
    names = ("ram_full",)
    topics = ("ram",)

    def check(self, t: Transition, ctx: RuleContext) -> list[Finding]:
        threshold = ctx.settings.ram_full_percent
        was, now = _percent(t.before) >= threshold, _percent(t.after) >= threshold
        if now and not was:
            return [Finding("ram_full", t.machine, "", True, "RAM full",
                            f"{t.machine} uses {_percent(t.after):.0f}% of its RAM", source_time=t.server_time)]
        if was and _percent(t.after) < threshold - HYSTERESIS:
            return [Finding("ram_full", t.machine, "", False, "RAM full", source_time=t.server_time)]
        return []


def holds_plots(ctx: RuleContext, machine: str, mount: str, counted: int) -> bool:
    """Plots on the disk: counted from the plot events so far or, for a disk that seems to hold none,
    already in the store. A machine's first sync is stored whole, but its disk events come before its
    plot events: by the count alone, every plot disk would look "almost full" for a moment."""
    return counted > 0 or bool(ctx.reader.query("SELECT 1 FROM plot WHERE machine = ? AND disk = ? LIMIT 1",
                                                (machine, mount)))


def _percent(row: dict | None) -> float:
    return float((row or {}).get("percent") or 0.0)
