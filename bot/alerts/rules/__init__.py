"""Every alert rule, and each alert's defaults (severity, debounce), overridable per alert in
`bot.alerts.rules`."""
from __future__ import annotations

from dataclasses import dataclass

from bot.alerts.rules.base import Finding, Rule, RuleContext
from bot.alerts.rules.chia import MonitoringBlind, ServiceStopped, SyncState
from bot.alerts.rules.copy import CopyHealth
from bot.alerts.rules.disk_health import SmartHealth
from bot.alerts.rules.farming import FarmingHealth
from bot.alerts.rules.hardware import DiskHealth, RamFull
from bot.alerts.rules.harvester import HarvesterConnection
from bot.alerts.rules.news import BlockFound, ProofFound
from bot.alerts.rules.plots import PlotHealth
from bot.alerts.rules.pool import PoolHealth
from bot.alerts.rules.silence import MachineSilent
from bot.alerts.rules.wallet import WalletActivity
from bot.alerts.settings import AlertSettings, RuleSettings
from teafarm.typed_config import ConfigError


@dataclass(frozen=True)
class AlertKind:
    severity: str
    debounce: float        # seconds a problem must last before it is sent
    description: str


ALERTS: dict[str, AlertKind] = {
    "harvester_disconnected": AlertKind("critical", 60, "a harvester lost its farmer, and when it is back"),
    "plots_lost": AlertKind("warning", 120, "fewer valid plots than the harvester's high-water mark (moves the copier announced excepted)"),
    "invalid_plots": AlertKind("warning", 120, "plots a harvester cannot read"),
    "disk_gone": AlertKind("critical", 30, "a disk unmounted, unplugged or unreadable"),
    "disk_full": AlertKind("warning", 300, "a disk without plots almost full"),
    "ram_full": AlertKind("warning", 300, "RAM almost full"),
    "node_out_of_sync": AlertKind("warning", 300, "the full node lost sync"),
    "wallet_out_of_sync": AlertKind("warning", 600, "the wallet lost sync"),
    "service_stopped": AlertKind("critical", 60, "a chia service that was running stopped or fails"),
    "machine_silent": AlertKind("critical", 0, "a machine sent nothing (not even a heartbeat) for `machine_silent` seconds"),
    "missed_signage_points": AlertKind("warning", 0, "a harvester missed more than `missed_sp_percent` of signage points"),
    "slow_lookups": AlertKind("warning", 0, "a harvester's lookup p95 above `slow_lookup_seconds`"),
    "monitoring_blind": AlertKind("warning", 0, "a chia log parser stopped matching while the log grows"),
    "proof_found": AlertKind("info", 0, "a harvester found a proof"),
    "block_found": AlertKind("info", 0, "a block was farmed"),
    "partials_failing": AlertKind("warning", 0, "`partial_failures` partials in a row failed"),
    "pool_unreachable": AlertKind("warning", 300, "the pool cannot be reached"),
    "copy_failed": AlertKind("warning", 0, "a plot copy failed"),
    "copy_targets_full": AlertKind("warning", 60, "every copy target of a machine is full"),
    "disk_failing": AlertKind("critical", 0, "a disk's SMART overall health self-assessment failed (smartctl)"),
    "disk_reallocated_sectors": AlertKind("warning", 0, "a disk reallocated `reallocated_growth` more sectors (news, once per growth)"),
    "disk_hot": AlertKind("warning", 0, "a disk at or above `disk_hot_celsius` (NVMe: `nvme_hot_celsius`)"),
    "block_won": AlertKind("info", 0, "the farm's wallet received a block's farming reward: a celebration"),
    "coins_received": AlertKind("info", 0, "coins arrived in the farm's wallet (pool payouts, transfers)"),
    "coins_sent": AlertKind("warning", 0, "coins left the farm's wallet"),
}

SEVERITIES = ("critical", "warning", "info")


def all_rules() -> list[Rule]:
    return [HarvesterConnection(), PlotHealth(), DiskHealth(), RamFull(), SyncState(), ServiceStopped(),
            MonitoringBlind(), MachineSilent(), FarmingHealth(), ProofFound(), BlockFound(), PoolHealth(), CopyHealth(),
            SmartHealth(), WalletActivity()]


def resolved_kinds(settings: AlertSettings) -> dict[str, tuple[AlertKind, bool]]:
    """Each alert's effective (severity, debounce) and whether it is enabled, with config overrides."""
    for name, override in settings.rules.items():
        if name not in ALERTS:
            raise ConfigError(f"bot.alerts.rules.{name}: unknown alert (known: {', '.join(ALERTS)})")
        if override.severity and override.severity not in SEVERITIES:
            raise ConfigError(f"bot.alerts.rules.{name}.severity: must be one of {', '.join(SEVERITIES)}, got {override.severity!r}")
    found = {}
    for name, kind in ALERTS.items():
        override = settings.rules.get(name, RuleSettings())
        found[name] = (AlertKind(override.severity or kind.severity,
                                 kind.debounce if override.debounce < 0 else override.debounce, kind.description),
                       override.enabled)
    return found


__all__ = ["ALERTS", "AlertKind", "Finding", "Rule", "RuleContext", "all_rules", "resolved_kinds"]
