"""The long-running parts built from the assembled config: each feature gets its own section, with
every path filled in (the features never see `Config` or the data folder's layout).

Each builder imports its feature when called: `teafarm client` must not pay for the chat libraries.
"""
from __future__ import annotations

import time
from collections.abc import Callable
from typing import TYPE_CHECKING

from teafarm.config import Config

if TYPE_CHECKING:
    from bot.app import BotApp
    from bot.transports.base import Transport
    from monitor.client.app import ClientApp
    from monitor.client.collector import Collector
    from monitor.server.app import ServerApp


def server_app(config: Config) -> ServerApp:
    from monitor.server.app import ServerApp

    return ServerApp(config.server_settings(), config.data_dir)


def bot_app(config: Config, transports: list[Transport] | None = None, clock: Callable[[], float] = time.time,
            on_sent=None) -> BotApp:
    from bot.app import BotApp

    return BotApp(config.bot, config.server_settings(), config.data_dir, transports, clock, on_sent)


def client_app(config: Config, collectors: list[Collector] | None = None) -> ClientApp:
    from monitor.client.app import ClientApp, build_collectors

    settings = config.client_settings()
    if collectors is None:
        collectors = build_collectors(settings, config.chia, config.copier_settings().status_file,
                                      config.data_dir / "client-state")
    return ClientApp(settings, config.data_dir, collectors)
