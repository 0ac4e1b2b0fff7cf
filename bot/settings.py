"""Settings of `teafarm bot` (config section `bot`)."""
from __future__ import annotations

from dataclasses import dataclass, field

from bot.alerts.settings import AlertSettings
from bot.metrics.settings import HealthSettings, MetricsSettings
from bot.transports.settings import AppriseSettings, ConsoleSettings, DiscordSettings, TelegramSettings


@dataclass
class BotSettings:
    discord: DiscordSettings = field(default_factory=DiscordSettings)      # the Discord bot (on with a token)
    telegram: TelegramSettings = field(default_factory=TelegramSettings)   # the Telegram bot (on with a token)
    console: ConsoleSettings = field(default_factory=ConsoleSettings)      # commands and alerts on the terminal
    apprise: AppriseSettings = field(default_factory=AppriseSettings)   # alerts to Apprise URLs (ntfy, Pushover, ...)
    alerts: AlertSettings = field(default_factory=AlertSettings)           # when and what the alert rules say
    metrics: MetricsSettings = field(default_factory=MetricsSettings)   # Prometheus /metrics (off by default)
    health: HealthSettings = field(default_factory=HealthSettings)      # /healthz on 127.0.0.1 (Docker's HEALTHCHECK)
