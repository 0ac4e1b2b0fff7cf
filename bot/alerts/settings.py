"""Settings of the alert engine (config section `bot.alerts`)."""
from __future__ import annotations

from dataclasses import dataclass, field


@dataclass
class RuleSettings:
    """Per-rule overrides; a rule not listed keeps its built-in defaults."""
    enabled: bool = True               # false: the rule never fires
    debounce: float = -1.0             # seconds a problem must last before it is sent (-1: the rule's default)
    severity: str = ""                 # critical, warning or info ("": the rule's default)


@dataclass
class AlertSettings:
    startup_grace: float = 120.0       # seconds after start (and after a machine first appears) in which only critical alerts go out
    group_window: float = 20.0         # seconds: alerts of one machine whose problems began this close together go out as one message
    reminder_first: float = 3600.0     # seconds before the first reminder of a problem still present
    reminder_max: float = 86400.0      # reminders back off (x2 each time) up to this many seconds
    quiet_hours: str = ""              # e.g. "23:00-07:00" (bot's local time): non-critical alerts wait until the end
    daily_summary: str = "08:00"       # local time of the daily summary ("" = none)
    heartbeat_url: str = ""            # called (HTTP GET) every minute, for an outside dead-man's switch ("" = none)
    transport_failures: int = 3        # consecutive failed sends before the other transports say one is failing
    machine_silent: float = 180.0      # seconds without a message (clients send a heartbeat every 30 s) before "machine silent"
    disk_full_percent: float = 95.0    # disk almost full at this usage
    ram_full_percent: float = 95.0     # RAM full at this usage
    missed_sp_percent: float = 5.0     # missed signage points per harvester over `farming_window` (chia: 100/day ~ 1 %)
    slow_lookup_seconds: float = 5.0   # lookup p95 over `farming_window` above this is slow (chia warns at 5 s)
    farming_window: float = 3600.0     # seconds of farming buckets the missed/slow rules look at
    partial_failures: int = 3          # failed partials in a row before "partials failing"
    plots_lost_accept_after: float = 86400.0  # seconds a lower plot count persists before it becomes the new normal
    rules: dict[str, RuleSettings] = field(default_factory=dict)  # per-rule enabled/debounce/severity, by rule name (see README)
