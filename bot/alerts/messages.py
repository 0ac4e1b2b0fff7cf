"""Alert texts as transport-neutral Replies: each names the machine and, where one is concerned,
the harvester."""
from __future__ import annotations

import time
from dataclasses import replace
from typing import TYPE_CHECKING

from bot.reply import Button, Reply, Section
from teafarm.units import duration

if TYPE_CHECKING:
    from bot.alerts.lifecycle import Alert
    from bot.alerts.rules.base import Finding

ORDER = {"critical": 0, "warning": 1, "info": 2, "ok": 3}
BUTTON_LABEL = 60           # characters of a merged message's button label (Discord allows 80)
RECOVERED = "Recovered: "


def clock_time(at: float, now: float) -> str:
    """'07:41:02' today (the bot's local time), '2026-01-01 23:41:02' another day."""
    local = time.localtime(at)
    return time.strftime("%H:%M:%S" if local[:3] == time.localtime(now)[:3] else "%Y-%m-%d %H:%M:%S", local)


def _where(machine: str, harvester: str) -> str:
    parts = [f"machine: {machine}"] if machine else []
    if harvester:
        parts.append(f"harvester: {harvester}")
    return ", ".join(parts)


def _lines(detail: str, machine: str, harvester: str) -> list[str]:
    return [line for line in (detail, _where(machine, harvester)) if line]


MUTES = {"mute1h": 3600.0, "mute1d": 86400.0}     # button actions: how long each mutes
ACKNOWLEDGE = "ack"


def alert_buttons(alert: Alert | Finding) -> list[Button]:
    """Under every announcement and reminder of an open alert (news has no id: nothing to act on);
    pressed, they are answered by bot/commands/buttons.py."""
    alert_id = getattr(alert, "id", None)
    if alert_id is None:
        return []
    return [Button("Mute 1 h", "mute1h", str(alert_id)), Button("Mute 1 d", "mute1d", str(alert_id)),
            Button("Acknowledge", ACKNOWLEDGE, str(alert_id))]


def alert_reply(alert: Alert | Finding) -> Reply:
    """An alert's announcement, or news (a one-shot finding with its severity resolved)."""
    return Reply(alert.title, [Section(lines=_lines(alert.detail, alert.machine, alert.harvester))], alert.severity,
                 buttons=alert_buttons(alert))


def reminder_reply(alert: Alert, now: float) -> Reply:
    return Reply(f"Still: {alert.title} (for {duration(now - alert.since)})",
                 [Section(lines=_lines(alert.detail, alert.machine, alert.harvester))], alert.severity,
                 buttons=alert_buttons(alert))


def recovery_reply(alert: Alert, detail: str, now: float) -> Reply:
    text = detail or f"after {duration(now - alert.since)}"
    return Reply(f"{RECOVERED}{alert.title}", [Section(lines=_lines(text, alert.machine, alert.harvester))], "ok")


def dated(reply: Reply, at: float, now: float) -> Reply:
    """A message sent well after it happened (a chat outage, a restart, quiet hours) says when,
    first thing under its title."""
    line = f"happened at {clock_time(at, now)}"
    sections = [Section(s.heading, list(s.lines), s.monospace) for s in reply.sections]
    if sections and sections[0].heading is None and not sections[0].monospace:
        sections[0].lines.insert(0, line)
    else:
        sections.insert(0, Section(lines=[line]))
    return replace(reply, sections=sections)


def merged(machine: str, replies: list[Reply]) -> Reply:
    """Several alerts of one machine in one message (one cause, e.g. a disk unplugged). When all
    of them are recoveries the message is headed as one and names what recovered."""
    if len(replies) == 1:
        return replies[0]
    severity = min((r.severity or "info" for r in replies), key=lambda s: ORDER.get(s, 9))
    sections = []
    for r in replies:
        lines = [_without_machine(line, machine) for s in r.sections for line in s.lines]
        sections.append(Section(heading=r.title, lines=[line for line in lines if line]))
    if all(_is_recovery(r) for r in replies):
        return Reply(f"Recovered on {machine}: {_names([r.title[len(RECOVERED):] for r in replies])}", sections, "ok")
    # each alert keeps its buttons; their labels say which alert they act on
    buttons = [Button(f"{b.label}: {r.title}"[:BUTTON_LABEL], b.action, b.target) for r in replies for b in r.buttons]
    return Reply(f"{machine}: {len(replies)} alerts", sections, severity, buttons=buttons)


def _is_recovery(reply: Reply) -> bool:
    return reply.severity == "ok" and reply.title.startswith(RECOVERED)


def _names(titles: list[str]) -> str:
    """'Disk gone, Plots lost', 'Chia service stopped (x3)': each once, in order."""
    counts: dict[str, int] = {}
    for title in titles:
        counts[title] = counts.get(title, 0) + 1
    return ", ".join(title if n == 1 else f"{title} (x{n})" for title, n in counts.items())


def _without_machine(line: str, machine: str) -> str:
    """The title already names the machine; keep the harvester part of the 'machine: ...' line."""
    prefix = f"machine: {machine}"
    return line[len(prefix):].lstrip(", ") if line.startswith(prefix) else line
