"""Settings of `teafarm copy` (config section `copy`)."""
from __future__ import annotations

from dataclasses import dataclass, field


@dataclass
class CopierSettings:
    sources: list[str] = field(default_factory=list)   # folders (or glob patterns) where plotters put finished plots
    targets: list[str] = field(default_factory=list)   # farm folders or glob patterns (re-read while running)
