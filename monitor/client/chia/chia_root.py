"""What the client needs from a chia install's own config: ports, certificates, network, log level.

Everything comes from `$CHIA_ROOT/config/config.yaml` (chia's defaults where a key is missing), so a
farm that moved its ports, or a second chia root on the same machine, is followed without teafarm
settings of its own.
"""
from __future__ import annotations

import hashlib
import os
import ssl
from dataclasses import dataclass, field
from pathlib import Path

import yaml

SERVICES = ("farmer", "harvester", "full_node", "wallet")
DEFAULT_RPC_PORTS = {"daemon": 55400, "farmer": 8559, "harvester": 8560, "full_node": 8555, "wallet": 9256}


_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)   # chia's config is ~30 KB: 40 ms in pure Python


def config_stamp(path: Path) -> tuple[int, int] | None:
    """Cheap change detection for config.yaml (re-parsing it on every poll would cost CPU)."""
    try:
        stat = (path / "config" / "config.yaml").stat()
    except OSError:
        return None
    return stat.st_mtime_ns, stat.st_size


def default_chia_root(configured: str) -> Path:
    """The setting, else $CHIA_ROOT, else chia's own default."""
    if configured:
        return Path(configured).expanduser()
    return Path(os.environ.get("CHIA_ROOT") or "~/.chia/mainnet").expanduser()


@dataclass(frozen=True)
class ChiaRoot:
    path: Path
    config: dict = field(default_factory=dict)   # parsed config.yaml; {} when chia is not installed

    stamp: tuple[int, int] | None = None          # (mtime_ns, size) of the config.yaml read

    @classmethod
    def load(cls, path: Path) -> ChiaRoot:
        """Read config.yaml; a missing or unreadable file means "chia not installed here"."""
        stamp = config_stamp(path)
        try:
            with open(path / "config" / "config.yaml", encoding="utf-8") as f:
                config = yaml.load(f, Loader=_LOADER)
        except (OSError, UnicodeDecodeError, yaml.YAMLError):    # UnicodeDecodeError: a binary file there
            config = None
        return cls(path, config if isinstance(config, dict) else {}, stamp)

    @property
    def installed(self) -> bool:
        return bool(self.config)

    def _section(self, service: str) -> dict:
        section = self.config.get(service)
        return section if isinstance(section, dict) else {}

    def rpc_port(self, service: str) -> int:
        if service == "daemon":
            value = self.config.get("daemon_port")
        else:
            value = self._section(service).get("rpc_port")
        return int(value) if isinstance(value, int) else DEFAULT_RPC_PORTS[service]

    @property
    def hostname(self) -> str:
        value = self.config.get("self_hostname")
        return value if isinstance(value, str) and value else "localhost"

    @property
    def network(self) -> str:
        value = self.config.get("selected_network") or self._section("farmer").get("selected_network")
        return value if isinstance(value, str) and value else "mainnet"

    def log_level(self, service: str) -> str:
        logging = self._section(service).get("logging") or self.config.get("logging") or {}
        level = logging.get("log_level") if isinstance(logging, dict) else None
        return str(level) if level else "WARNING"   # chia's default

    def _path(self, value: object, default: str) -> Path:
        relative = value if isinstance(value, str) and value else default
        return self.path / relative

    @property
    def ca_cert(self) -> Path:
        ca = self.config.get("private_ssl_ca")
        return self._path(ca.get("crt") if isinstance(ca, dict) else None, "config/ssl/ca/private_ca.crt")

    def cert_and_key(self, service: str) -> tuple[Path, Path]:
        """The private certificate a client of `service` presents (any private_* cert works)."""
        ssl_section = self.config.get("daemon_ssl") if service == "daemon" else self._section(service).get("ssl")
        ssl_section = ssl_section if isinstance(ssl_section, dict) else {}
        return (self._path(ssl_section.get("private_crt"), f"config/ssl/{service}/private_{service}.crt"),
                self._path(ssl_section.get("private_key"), f"config/ssl/{service}/private_{service}.key"))

    def ssl_context(self, service: str) -> ssl.SSLContext:
        """Mutual TLS as chia does it: verify the private CA, not the host name (certs name chia.net)."""
        context = ssl.create_default_context(cafile=str(self.ca_cert))
        context.check_hostname = False
        cert, key = self.cert_and_key(service)
        context.load_cert_chain(str(cert), str(key))
        return context

    def harvester_node_id(self) -> str | None:
        """This machine's harvester node_id as its farmer sees it: sha256 of the certificate's DER."""
        cert, _ = self.cert_and_key("harvester")
        try:
            pem = cert.read_text(encoding="ascii")
        except (OSError, UnicodeDecodeError):
            return None
        try:
            der = ssl.PEM_cert_to_DER_cert(pem)
        except ValueError:
            return None
        return hashlib.sha256(der).hexdigest()


def node_id_hex(value: object) -> str:
    """node_id as teafarm keys it: 64 lowercase hex, no 0x (RPC answers sometimes add it)."""
    text = str(value or "").strip().lower()
    return text[2:] if text.startswith("0x") else text
