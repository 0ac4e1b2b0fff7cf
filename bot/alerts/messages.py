"""Alert texts as transport-neutral Replies: each names the machine and, where one is concerned,
the harvester."""
from __future__ import annotations

import json
from typing import TYPE_CHECKING

from bot.commands.format import duration
from bot.reply import Reply, Section

if TYPE_CHECKING:
    from bot.alerts.lifecycle import Alert
    from bot.alerts.rules.base import Finding

ORDER = {"critical": 0, "warning": 1, "info": 2, "ok": 3}


def _where(machine: str, harvester: str) -> str:
    parts = [f"machine: {machine}"] if machine else []
    if harvester:
        parts.append(f"harvester: {harvester}")
    return ", ".join(parts)


def _lines(detail: str, machine: str, harvester: str) -> list[str]:
    return [line for line in (detail, _where(machine, harvester)) if line]


def alert_reply(alert: Alert | Finding) -> Reply:
    """An alert's announcement, or news (a one-shot finding with its severity resolved)."""
    return Reply(alert.title, [Section(lines=_lines(alert.detail, alert.machine, alert.harvester))], alert.severity)


def reminder_reply(alert: Alert, now: float) -> Reply:
    return Reply(f"Still: {alert.title} (for {duration(now - alert.since)})",
                 [Section(lines=_lines(alert.detail, alert.machine, alert.harvester))], alert.severity)


def recovery_reply(alert: Alert, detail: str, now: float) -> Reply:
    text = detail or f"after {duration(now - alert.since)}"
    return Reply(f"Recovered: {alert.title}", [Section(lines=_lines(text, alert.machine, alert.harvester))], "ok")


def to_json(reply: Reply) -> str:
    return json.dumps({"title": reply.title, "severity": reply.severity,
                       "sections": [{"heading": s.heading, "lines": s.lines, "monospace": s.monospace} for s in reply.sections]})


def from_json(text: str) -> Reply:
    data = json.loads(text)
    return Reply(data["title"], [Section(s["heading"], s["lines"], s["monospace"]) for s in data["sections"]], data["severity"])


def merged(machine: str, replies: list[Reply]) -> Reply:
    """Several alerts of one machine in one message (one cause, e.g. a disk unplugged)."""
    if len(replies) == 1:
        return replies[0]
    severity = min((r.severity or "info" for r in replies), key=lambda s: ORDER.get(s, 9))
    sections = []
    for r in replies:
        lines = [_without_machine(line, machine) for s in r.sections for line in s.lines]
        sections.append(Section(heading=r.title, lines=[line for line in lines if line]))
    return Reply(f"{machine}: {len(replies)} alerts", sections, severity)


def _without_machine(line: str, machine: str) -> str:
    """The title already names the machine; keep the harvester part of the 'machine: ...' line."""
    prefix = f"machine: {machine}"
    return line[len(prefix):].lstrip(", ") if line.startswith(prefix) else line
