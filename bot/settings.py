"""Settings of `teafarm bot` (config section `bot`)."""
from __future__ import annotations

from dataclasses import dataclass, field

from bot.alerts.settings import AlertSettings
from bot.metrics.settings import MetricsSettings
from bot.transports.settings import ConsoleSettings, DiscordSettings, TelegramSettings


@dataclass
class BotSettings:
    discord: DiscordSettings = field(default_factory=DiscordSettings)
    telegram: TelegramSettings = field(default_factory=TelegramSettings)
    console: ConsoleSettings = field(default_factory=ConsoleSettings)
    alerts: AlertSettings = field(default_factory=AlertSettings)
    metrics: MetricsSettings = field(default_factory=MetricsSettings)   # Prometheus /metrics (off by default)
