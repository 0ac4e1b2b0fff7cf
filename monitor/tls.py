"""gRPC credentials from the farm's certificates, and the machine name a connection proved."""
from __future__ import annotations

from pathlib import Path

import grpc

from monitor.certs import CertPair
from teafarm.typed_config import ConfigError


def server_credentials(pair: CertPair, ca: Path) -> grpc.ServerCredentials:
    return grpc.ssl_server_credentials(
        [(_read(pair.key), _read(pair.certificate))], root_certificates=_read(ca), require_client_auth=True)


def client_credentials(pair: CertPair, ca: Path) -> grpc.ChannelCredentials:
    return grpc.ssl_channel_credentials(root_certificates=_read(ca), private_key=_read(pair.key),
                                        certificate_chain=_read(pair.certificate))


def peer_machine(context: grpc.aio.ServicerContext) -> str | None:
    """The common name of the verified client certificate (None without one)."""
    names = context.auth_context().get("x509_common_name") or []
    return names[0].decode() if names else None


def _read(path: Path) -> bytes:
    try:
        return path.read_bytes()
    except OSError as exc:
        raise ConfigError(f"{path}: cannot read ({exc.strerror})") from None
