"""Plots lost (against a per-harvester high-water mark) and unreadable plots.

Counts per harvester follow the plot events in sequence order. A plot that disappears counts as
lost unless the copier announced it as moving; a slow loss of one plot at a time adds up against
the high-water mark instead of hiding in the noise. A lower count that persists for
`plots_lost_accept_after` becomes the new normal (the owner removed plots on purpose).
"""
from __future__ import annotations

import os

from bot.alerts.rules.base import Finding, Rule, RuleContext
from bot.alerts.transition import Transition
from bot.stats.plots import file_list, problem_files

MEMORY = "plot_counts"
DISK_MEMORY = "plot_disks"


class PlotHealth(Rule):
    names = ("plots_lost", "invalid_plots")
    topics = ("plot",)

    def check(self, t: Transition, ctx: RuleContext) -> list[Finding]:
        touched: dict[str, tuple[dict, dict]] = {}
        disks_before: dict[str, int] = {}
        for row, sign in ((t.before, -1), (t.after, +1)):
            if row is None:
                continue
            node = row.get("harvester_node_id") or ""
            counts = ctx.memory.get(MEMORY, t.machine, node) or {"valid": 0, "invalid": 0, "hwm": 0, "low_since": None}
            if node not in touched:
                touched[node] = (dict(counts), counts)
            if row.get("status") == "VALID":
                counts["valid"] = max(0, counts["valid"] + sign)
            elif row.get("status") == "INVALID":
                counts["invalid"] = max(0, counts["invalid"] + sign)
            disk = row.get("disk") or ""
            held = ctx.memory.get(DISK_MEMORY, t.machine, disk) or 0
            disks_before.setdefault(disk, held)
            ctx.memory.put(DISK_MEMORY, t.machine, disk, max(0, held + sign) or None)
            ctx.memory.put(MEMORY, t.machine, node, counts)
        if t.deleted and t.before.get("status") == "VALID" and self._announced_move(t.before, ctx):
            counts = touched[t.before.get("harvester_node_id") or ""][1]
            counts["hwm"] -= 1          # moved away on purpose: the mark follows it
        findings = [self._plot_disk(t, disk) for disk, held in disks_before.items()
                    if disk and not held and plots_on_disk(ctx, t.machine, disk)]
        for node, (old, counts) in touched.items():
            counts["hwm"] = max(counts["hwm"], counts["valid"])
            deficit = counts["hwm"] - counts["valid"]
            if deficit > 0 and counts["low_since"] is None:
                counts["low_since"] = t.time
            elif deficit == 0:
                counts["low_since"] = None
            label = ctx.harvester(node, t.machine)
            if deficit != old["hwm"] - old["valid"]:
                findings.append(Finding(
                    "plots_lost", t.machine, node, deficit > 0, "Plots lost",
                    f"harvester {label}: {deficit:,} plots lost ({counts['valid']:,} valid of {counts['hwm']:,} seen)",
                    node, label, source_time=t.server_time))
            if counts["invalid"] != old["invalid"]:
                findings.append(Finding(
                    "invalid_plots", t.machine, node, counts["invalid"] > 0, "Unreadable plots",
                    self._unreadable(ctx, t.machine, node, label, counts["invalid"]), node, label,
                    source_time=t.server_time))
        return findings

    def tick(self, ctx: RuleContext) -> list[Finding]:
        findings = []
        for machine, node, counts in list(ctx.memory.all(MEMORY)):
            low_since = counts.get("low_since")
            if low_since is None or ctx.now - low_since < ctx.settings.plots_lost_accept_after:
                continue
            counts["hwm"], counts["low_since"] = counts["valid"], None
            ctx.memory.put(MEMORY, machine, node, counts)
            label = ctx.harvester(node, machine)
            findings.append(Finding("plots_lost", machine, node, False, "Plots lost",
                                    f"harvester {label}: {counts['valid']:,} plots accepted as the new normal",
                                    node, label))
        return findings

    @staticmethod
    def _plot_disk(t: Transition, disk: str) -> Finding:
        """The first plot on a disk: it is a plot disk, meant to be full. Withdraws a "disk almost
        full" raised before its plots were counted (their events follow the disk's)."""
        return Finding("disk_full", t.machine, disk, False, "Disk almost full",
                       f"{disk} on {t.machine} holds plots: a plot disk is meant to be full", source_time=t.server_time)

    @staticmethod
    def _unreadable(ctx: RuleContext, machine: str, node: str, label: str, count: int) -> str:
        if not count:
            return f"harvester {label}: every plot can be read again"
        # the files by name, a few of them (from the state table: the latest the store knows)
        names = problem_files(ctx.reader, machine, node, "INVALID")
        return (f"harvester {label}: {count:,} plots cannot be read (bad file or failing disk): "
                f"{file_list(names, count)}")

    @staticmethod
    def _announced_move(plot: dict, ctx: RuleContext) -> bool:
        name = os.path.basename(plot.get("filename") or "")
        if not name:
            return False
        rows = ctx.reader.query("SELECT 1 FROM copy_job WHERE plot = ? AND state IN ('QUEUED', 'COPYING', 'DONE') LIMIT 1",
                                (name,))
        return bool(rows)


def plots_on_disk(ctx: RuleContext, machine: str, disk: str) -> int:
    return ctx.memory.get(DISK_MEMORY, machine, disk) or 0


def seed(ctx: RuleContext) -> None:
    """A bot.db started on an existing farm: counts from the state tables, the mark at today's count."""
    for r in ctx.reader.query("SELECT machine, harvester_node_id AS node, total(status = 'VALID') AS valid, "
                              "total(status = 'INVALID') AS invalid FROM plot GROUP BY 1, 2"):
        valid = int(r["valid"])
        ctx.memory.put(MEMORY, r["machine"], r["node"] or "",
                       {"valid": valid, "invalid": int(r["invalid"]), "hwm": valid, "low_since": None})
    for r in ctx.reader.query("SELECT machine, disk, count(*) AS n FROM plot GROUP BY 1, 2"):
        ctx.memory.put(DISK_MEMORY, r["machine"], r["disk"] or "", r["n"])
