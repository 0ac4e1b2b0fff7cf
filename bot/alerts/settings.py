"""Settings of the alert engine (config section `bot.alerts`). Each field's constraints sit beside
it (teafarm/typed_config.py runs them: `teafarm config check` and every start)."""
from __future__ import annotations

from dataclasses import dataclass

from teafarm.typed_config import YEAR, count, http_url, seconds, setting


def _debounce(value: float) -> str | None:
    if value == -1 or 0 <= value <= YEAR:
        return None
    return f"must be -1 (the rule's default) or from 0 to {YEAR} seconds, got {value!r}"


@dataclass
class RuleSettings:
    """Per-rule overrides; a rule not listed keeps its built-in defaults."""
    enabled: bool = True               # false: the rule never fires
    debounce: float = setting(-1.0, check=_debounce)  # seconds a problem must last before it is sent (-1: the rule's default)
    severity: str = ""                 # critical, warning or info ("": the rule's default; checked with the rule names)


def _quiet_hours(spec: str) -> None:
    from bot.alerts.quiet import QuietHours   # the parser the engine uses: one line of its own when wrong

    QuietHours.parse(spec)


def _hh_mm(text: str) -> str | None:
    hour, colon, minute = text.partition(":")
    if not text or (colon and hour.isascii() and hour.isdigit() and minute.isascii() and minute.isdigit()
                    and len(minute) == 2 and int(hour) <= 23 and int(minute) <= 59):
        return None
    return f"expected HH:MM (e.g. 08:00) or \"\", got {text!r}"


def _known_rules(rules: dict[str, RuleSettings]) -> None:
    from bot.alerts.rules import resolved_kinds   # here: the rules import this module

    resolved_kinds(AlertSettings(rules=rules))    # names and severities, one line of its own when wrong


def _percent(least_exclusive: bool):
    def check(value: float) -> str | None:
        if value < 0 or (least_exclusive and value == 0) or value > 100:
            return f"must be a percentage {'above 0' if least_exclusive else 'from 0'} up to 100, got {value!r}"
        return None
    return check


@dataclass
class AlertSettings:
    startup_grace: float = setting(120.0, check=seconds(zero=True))  # seconds after start (and after a machine first appears) in which only critical alerts go out
    group_window: float = setting(20.0, check=seconds(zero=True))    # seconds: alerts of one machine whose problems began this close together go out as one message
    reminder_first: float = setting(3600.0, check=seconds())         # seconds before the first reminder of a problem still present
    reminder_max: float = setting(86400.0, check=seconds(zero=True))  # reminders back off (x2 each time) up to this many seconds
    quiet_hours: str = setting("", check=_quiet_hours)               # e.g. "23:00-07:00" (bot's local time): non-critical alerts wait until the end
    daily_summary: str = setting("08:00", check=_hh_mm)              # local time of the daily summary ("" = none)
    heartbeat_url: str = setting("", check=http_url)                 # called (HTTP GET) every minute, for an outside dead-man's switch ("" = none)
    transport_failures: int = setting(3, check=count(1))             # consecutive failed sends to a destination before the other transports say it is failing
    startup_message: bool = False                                    # say "teafarm bot started" (silently) in the alert channels at every start
    machine_silent: float = setting(180.0, check=seconds())          # seconds without a message (clients send a heartbeat every 30 s) before "machine silent"
    disk_full_percent: float = setting(95.0, check=_percent(True))   # disk almost full at this usage
    ram_full_percent: float = setting(95.0, check=_percent(True))    # RAM full at this usage
    missed_sp_percent: float = setting(5.0, check=_percent(False))   # missed signage points per harvester over `farming_window` (chia: 100/day ~ 1 %)
    slow_lookup_seconds: float = setting(5.0, check=seconds())       # lookup p95 over `farming_window` above this is slow (chia warns at 5 s)
    farming_window: float = setting(3600.0, check=seconds())         # seconds of farming buckets the missed/slow rules look at
    partial_failures: int = setting(3, check=count(1))               # failed partials in a row before "partials failing"
    plots_lost_accept_after: float = setting(86400.0, check=seconds(zero=True))  # seconds a lower plot count persists before it becomes the new normal
    disk_hot_celsius: float = setting(55.0, check=count(1, 150))      # a SATA/SAS disk (SMART) at or above this is hot (HDDs are specified up to ~60 °C)
    nvme_hot_celsius: float = setting(75.0, check=count(1, 150))      # an NVMe drive at or above this is hot (most throttle from ~80 °C)
    reallocated_growth: int = setting(1, check=count(1))             # sectors a disk must reallocate since the last alert before it alerts again
    rules: dict[str, RuleSettings] = setting(factory=dict, check=_known_rules)  # per-rule enabled/debounce/severity, by rule name (see README)
