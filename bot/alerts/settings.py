"""Settings of the alert engine (config section `bot.alerts`)."""
from __future__ import annotations

from dataclasses import dataclass


@dataclass
class AlertSettings:
    startup_grace: float = 120.0       # seconds after start in which only critical alerts go out
