"""Transport-neutral replies: commands and alerts produce these, each transport renders them."""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

Severity = Literal["critical", "warning", "info", "ok"]


@dataclass
class Section:
    heading: str | None = None
    lines: list[str] = field(default_factory=list)
    monospace: bool = False        # tables (/sql, /missed) keep their columns


@dataclass
class Reply:
    title: str
    sections: list[Section] = field(default_factory=list)
    severity: Severity | None = None   # set on alerts

    @classmethod
    def text(cls, title: str, *lines: str, severity: Severity | None = None) -> "Reply":
        return cls(title, [Section(lines=list(lines))] if lines else [], severity)
