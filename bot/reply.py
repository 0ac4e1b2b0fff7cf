"""Transport-neutral replies: commands and alerts produce these, each transport renders them.

A reply carries everything a chat may show: text sections, pictures (charts), buttons (mute,
acknowledge, refresh), the time it is about and whether it may buzz a phone. A transport that
cannot show a part leaves it out (the console prints buttons as text and writes pictures to files).
"""
from __future__ import annotations

import base64
import json
from dataclasses import dataclass, field
from typing import Literal

Severity = Literal["critical", "warning", "info", "ok"]


@dataclass
class Section:
    heading: str | None = None
    lines: list[str] = field(default_factory=list)
    monospace: bool = False        # tables (/sql, /missed) keep their columns


@dataclass
class Image:
    """A picture attached to a reply (a chart): PNG bytes and the file name the chat shows."""
    name: str                      # "missed-7d.png"
    png: bytes
    alt: str = ""                  # one line describing it, for chats or logs that cannot show pictures


@dataclass
class Button:
    """A button under a message. `action` names what a press does ("mute1h", "mute1d", "ack", "refresh");
    `target` is what it acts on (an alert id, or the command to run again for "refresh"). A press is
    handled like the command it stands for, access checks included."""
    label: str
    action: str
    target: str = ""

    @property
    def data(self) -> str:
        """What the chat carries back on a press (Telegram callback_data, Discord custom_id): "ack:17"."""
        return f"{self.action}:{self.target}"

    @staticmethod
    def parse(data: str) -> tuple[str, str]:
        """"ack:17" -> ("ack", "17")."""
        action, _, target = data.partition(":")
        return action, target


@dataclass
class Reply:
    title: str
    sections: list[Section] = field(default_factory=list)
    severity: Severity | None = None   # set on alerts
    images: list[Image] = field(default_factory=list)
    buttons: list[Button] = field(default_factory=list)
    at: float | None = None            # when what it reports happened (unix time): embeds show it in the footer
    silent: bool = False               # deliver without a notification sound (info, news, start-up message)

    @classmethod
    def text(cls, title: str, *lines: str, severity: Severity | None = None) -> "Reply":
        return cls(title, [Section(lines=list(lines))] if lines else [], severity)

    def to_json(self) -> str:
        """The form kept in the alert outbox (a restart must rebuild the same message)."""
        return json.dumps({
            "title": self.title, "severity": self.severity, "at": self.at, "silent": self.silent,
            "sections": [{"heading": s.heading, "lines": s.lines, "monospace": s.monospace} for s in self.sections],
            "images": [{"name": i.name, "png": base64.b64encode(i.png).decode(), "alt": i.alt} for i in self.images],
            "buttons": [{"label": b.label, "action": b.action, "target": b.target} for b in self.buttons],
        })

    @classmethod
    def from_json(cls, text: str) -> "Reply":
        data = json.loads(text)
        return cls(data["title"], [Section(s["heading"], s["lines"], s["monospace"]) for s in data["sections"]],
                   data["severity"],
                   images=[Image(i["name"], base64.b64decode(i["png"]), i.get("alt", "")) for i in data.get("images", [])],
                   buttons=[Button(b["label"], b["action"], b.get("target", "")) for b in data.get("buttons", [])],
                   at=data.get("at"), silent=bool(data.get("silent", False)))


class ErrorReply(Reply):
    """A refusal or an error (not allowed, bad input, a failure): chats that can show a reply only to
    the one who asked do so (Discord ephemeral messages), and a button press that gets one changes nothing."""
