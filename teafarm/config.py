"""The one typed configuration object, found and validated at start.

Search order: --config, then TEAFARM_CONFIG, then the user's ~/.config/teafarm/config.yml (what
`teafarm config init` writes), then ./config.yml (the checkout's documented example). With none found the built-in defaults are used and the log says so.
`load_config` returns a config that passed `validate`, the one check that `teafarm config check`
and every command run before they do anything.
"""
from __future__ import annotations

import os
import socket
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, Literal

import yaml

from bot.settings import BotSettings
from copier.settings import CopierSettings
from monitor.client.chia.settings import ChiaSettings
from monitor.client.settings import ClientSettings
from monitor.server.settings import ServerSettings
from teafarm.typed_config import (NOT_A_KEY, Check, ConfigError, build, check_fields, count, file_path, folder_path,
                                  seconds, setting, short_repr)

USER_CONFIG = Path("~/.config/teafarm/config.yml").expanduser()
DEFAULT_DATA_DIR = Path("~/.local/share/teafarm").expanduser()


LogLevel = Literal["DEBUG", "INFO", "WARNING", "ERROR"]


@dataclass
class LoggingSettings:
    level: LogLevel = "INFO"       # console level: DEBUG, INFO, WARNING, ERROR
    file_level: LogLevel = "INFO"  # the log file's level
    file: Path = setting(Path(""), check=file_path)   # "" -> <data_dir>/logs/teafarm.log
    max_bytes: int = setting(10_000_000, check=count(0))   # 0: never rotate
    backups: int = setting(5, check=count(0, 1000))         # each rotation renames them all, one by one


@dataclass
class Config:
    data_dir: Path = setting(DEFAULT_DATA_DIR, check=folder_path)   # database, certificates, outbox, logs (0700)
    logging: LoggingSettings = field(default_factory=LoggingSettings)   # console and log file
    server: ServerSettings = field(default_factory=ServerSettings)      # the monitoring server (in `teafarm bot`)
    client: ClientSettings = field(default_factory=ClientSettings)      # `teafarm client`, on every machine
    chia: ChiaSettings = field(default_factory=ChiaSettings)            # what the client reads from chia
    bot: BotSettings = field(default_factory=BotSettings)               # chat, alerts, /metrics, /healthz
    copy: CopierSettings = field(default_factory=CopierSettings)        # `teafarm copy`, the plot mover
    source: Path | None = field(default=None, metadata=NOT_A_KEY)   # the file this came from (not a config key)

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

    def filled(self) -> "Config":
        """This config with every section as its feature receives it (paths and machine name filled
        in): what `validate` checks, so a default path is checked like a configured one."""
        return replace(self, logging=replace(self.logging, file=self.log_file()), server=self.server_settings(),
                       client=self.client_settings(), copy=self.copier_settings())


# The chia section's constraints (its dataclass lives with the chia collectors' code).
CHIA_CHECKS: dict[str, Check] = {
    "rpc_timeout": seconds(), "poll_interval": seconds(), "plot_list_interval": seconds(), "slow_lookup": seconds(),
    "late_after": seconds(), "forget_harvester_after": seconds(), "plotter_stale_after": seconds(),
    "log_blind_after_lines": count(1), "log_state_file": file_path,
}


def validate(config: Config) -> Config:
    """Every check a start makes before it listens, as one line naming the file and key: the
    constraints beside each field, on the config as the features receive it. `teafarm config
    check`, every command and `teafarm doctor` run this same function."""
    try:
        check_fields(config.filled(), "", {ChiaSettings: CHIA_CHECKS})
    except ConfigError as exc:
        raise ConfigError(f"{config.source}: {exc}" if config.source else str(exc)) from None
    return config


class DuplicateKey(yaml.YAMLError):
    """A key written twice in one mapping, at `line`."""

    def __init__(self, key: Any, line: int, first_line: int) -> None:
        super().__init__(f"duplicate key {short_repr(key)} (first on line {first_line})")
        self.line = line


class _UniqueKeyLoader(yaml.SafeLoader):
    """PyYAML's safe loader, except that a key written twice in one mapping is refused (PyYAML keeps
    the last silently: a second `interval:` further down would win without a word)."""

    def construct_mapping(self, node: yaml.MappingNode, deep: bool = False) -> dict:
        seen: dict[Any, int] = {}
        for key_node, _ in node.value:
            if key_node.tag == "tag:yaml.org,2002:merge":   # `<<: *defaults` overrides by design
                continue
            key = self.construct_object(key_node, deep=True)
            try:
                first = seen.setdefault(key, key_node.start_mark.line + 1)
            except TypeError:    # an unhashable key: the base class says so
                continue
            if first != key_node.start_mark.line + 1:
                raise DuplicateKey(key, key_node.start_mark.line + 1, first)
        return super().construct_mapping(node, deep)


def load_yaml(text: str) -> Any:
    """YAML with duplicate keys refused (DuplicateKey names the line)."""
    return yaml.load(text, Loader=_UniqueKeyLoader)  # noqa: S506 (a SafeLoader)


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
    # the user's own file wins over the checkout's example, so `make run` in the checkout uses it
    for candidate in (USER_CONFIG, Path("config.yml")):
        if candidate.is_file():
            return candidate.resolve()
    return None


def load_config(explicit: str | None = None) -> Config:
    """The config to run with, validated (a mistake is one ConfigError line)."""
    path = find_config_file(explicit)
    if path is None:
        return validate(Config())  # the log says so once logging is set up (describe_source)
    return validate(parse_config_file(path))


def describe_source(config: Config) -> str:
    if config.source is None:
        return f"no config file found (--config, TEAFARM_CONFIG, {USER_CONFIG}, ./config.yml): using built-in defaults"
    return f"config: {config.source}"


def parse_config_file(path: Path) -> Config:
    """The file's values in their types (no checks of range or of the disk: `validate` does those)."""
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise ConfigError(f"{path}: cannot read ({exc.strerror})") from None
    if b"\x00" in data:
        raise ConfigError(f"{path}: not a text file (it contains NUL bytes)")
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        raise ConfigError(f"{path}:{line}: not UTF-8 text (byte 0x{data[exc.start]:02x})") from None
    try:
        raw = load_yaml(text)
    except DuplicateKey as exc:
        raise ConfigError(f"{path}:{exc.line}: {exc}") from None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        position = getattr(exc, "position", None)     # a ReaderError (a control character) has only this
        line = mark.line + 1 if mark else text.count("\n", 0, position) + 1 if position is not None else None
        where = f"{path}:{line}" if line else str(path)
        problem = getattr(exc, "problem", None) or str(exc).splitlines()[0]
        raise ConfigError(f"{where}: not valid YAML ({problem})") from None
    except RecursionError:    # [[[[...]]]] nested 10,000 deep
        raise ConfigError(f"{path}: not valid YAML (nested too deeply)") from None
    except ValueError as exc:  # PyYAML's int(): a number of more than 4,300 digits
        problem = "a number of more than 4300 digits" if "digits" in str(exc) else (str(exc).splitlines() or ["?"])[0]
        raise ConfigError(f"{path}: not valid YAML ({problem})") from None
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
