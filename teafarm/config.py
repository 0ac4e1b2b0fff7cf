"""The one typed configuration object, found and validated at start.

Search order: --config, then TEAFARM_CONFIG, then ./config.yml, then the user config dir
(~/.config/teafarm/config.yml). With none found the built-in defaults are used and the log says so.
"""
from __future__ import annotations

import os
import socket
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Literal

import yaml

from bot.settings import BotSettings
from copier.settings import CopierSettings
from monitor.client.chia.settings import ChiaSettings
from monitor.client.settings import ClientSettings
from monitor.server.settings import ServerSettings
from teafarm.typed_config import ConfigError, build

USER_CONFIG = Path("~/.config/teafarm/config.yml").expanduser()
DEFAULT_DATA_DIR = Path("~/.local/share/teafarm").expanduser()


LogLevel = Literal["DEBUG", "INFO", "WARNING", "ERROR"]


@dataclass
class LoggingSettings:
    level: LogLevel = "INFO"       # console level: DEBUG, INFO, WARNING, ERROR
    file_level: LogLevel = "INFO"
    file: Path = Path("")          # "" -> <data_dir>/logs/teafarm.log
    max_bytes: int = 10_000_000
    backups: int = 5


@dataclass
class Config:
    data_dir: Path = DEFAULT_DATA_DIR
    logging: LoggingSettings = field(default_factory=LoggingSettings)
    server: ServerSettings = field(default_factory=ServerSettings)
    client: ClientSettings = field(default_factory=ClientSettings)
    chia: ChiaSettings = field(default_factory=ChiaSettings)
    bot: BotSettings = field(default_factory=BotSettings)
    copy: CopierSettings = field(default_factory=CopierSettings)
    source: Path | None = None     # the file this came from (not a config key)

    def data_path(self, configured: Path, default_name: str) -> Path:
        """A configured path, or `default_name` inside the data folder when unset."""
        return configured if str(configured) not in ("", ".") else self.data_dir / default_name

    # Each feature gets its own section with every path filled in, so none of them needs to know
    # the data folder's layout or import this module.
    def server_settings(self) -> ServerSettings:
        s = self.server
        return replace(s, database=self.data_path(s.database, "teafarm.db"),
                       certificate=self.data_path(s.certificate, "certs/server.crt"),
                       key=self.data_path(s.key, "certs/server.key"), ca=self.data_path(s.ca, "certs/ca.crt"))

    def client_settings(self) -> ClientSettings:
        s = self.client
        machine = s.machine_name or socket.gethostname().split(".")[0]
        return replace(s, machine_name=machine, outbox=self.data_path(s.outbox, "client-outbox.db"),
                       certificate=self.data_path(s.certificate, f"certs/{machine}.crt"),
                       key=self.data_path(s.key, f"certs/{machine}.key"), ca=self.data_path(s.ca, "certs/ca.crt"))

    def copier_settings(self) -> CopierSettings:
        return replace(self.copy, status_file=self.data_path(self.copy.status_file, "copier-status.json"))

    def log_file(self) -> Path:
        return self.data_path(self.logging.file, "logs/teafarm.log")


def find_config_file(explicit: str | None) -> Path | None:
    if explicit:
        path = Path(explicit).expanduser()
        if not path.is_file():
            raise ConfigError(f"--config {explicit}: file does not exist")
        return path.resolve()
    env = os.environ.get("TEAFARM_CONFIG")
    if env:
        path = Path(env).expanduser()
        if not path.is_file():
            raise ConfigError(f"TEAFARM_CONFIG={env}: file does not exist")
        return path.resolve()
    for candidate in (Path("config.yml"), USER_CONFIG):
        if candidate.is_file():
            return candidate.resolve()
    return None


def load_config(explicit: str | None = None) -> Config:
    path = find_config_file(explicit)
    if path is None:
        return Config()  # the log says so once logging is set up (describe_source)
    return parse_config_file(path)


def describe_source(config: Config) -> str:
    if config.source is None:
        return f"no config file found (--config, TEAFARM_CONFIG, ./config.yml, {USER_CONFIG}): using built-in defaults"
    return f"config: {config.source}"


def parse_config_file(path: Path) -> Config:
    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"{path}:{mark.line + 1}" if mark else str(path)
        problem = getattr(exc, "problem", None) or str(exc).splitlines()[0]
        raise ConfigError(f"{where}: not valid YAML ({problem})") from None
    except OSError as exc:
        raise ConfigError(f"{path}: cannot read ({exc.strerror})") from None
    try:
        config = build(Config, raw, "", path.parent)
    except ConfigError as exc:
        raise ConfigError(f"{path}: {exc}") from None
    config.source = path
    apply_secret_env(config)
    return config


def apply_secret_env(config: Config) -> None:
    """Tokens from the environment win over the file, so secrets can stay out of it."""
    if os.environ.get("TEAFARM_DISCORD_TOKEN"):
        config.bot.discord.token = os.environ["TEAFARM_DISCORD_TOKEN"]
    if os.environ.get("TEAFARM_TELEGRAM_TOKEN"):
        config.bot.telegram.token = os.environ["TEAFARM_TELEGRAM_TOKEN"]
