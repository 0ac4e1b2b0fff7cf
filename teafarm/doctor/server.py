"""The server as this machine's client reaches it: mutual TLS with the client certificate, the
server's verdict on it (a revoked or wrong-machine certificate is refused), and the clock offset
from the server's time in its welcome. The hello is a probe: the server records nothing for it,
so a machine whose client is stopped does not flap online and offline."""
from __future__ import annotations

import time

import grpc

from monitor.certs import CertPair
from monitor.client.settings import ClientSettings
from monitor.tls import client_credentials, diagnose
from protocol import service_pb2, service_pb2_grpc
from teafarm.doctor import Finding, fail, ok, skip
from teafarm.typed_config import ConfigError

TIMEOUT = 10.0           # seconds for the whole probe: a farm's server answers in milliseconds
CLOCK_LIMIT = 5.0        # seconds of offset: timestamps of signage points and alerts go wrong beyond it
CLOCK_FIX = "turn on time sync on both machines (`timedatectl set-ntp true`, or chrony)"
NO_CLOCK = skip("clock", "needs the server")
ENROL_FIX = "enrol this machine again (`teafarm certs token NAME` on the bot, `teafarm client --enrol-file` here)"


def check(settings: ClientSettings) -> list[Finding]:
    pair = CertPair(settings.certificate, settings.key)
    if not (pair.exists() and settings.ca.is_file()):
        return [skip("server", f"no client certificate to connect to {settings.server} with (above)"), NO_CLOCK]
    try:
        welcome, offset = probe(settings, pair)
    except grpc.RpcError as exc:
        if exc.code() in (grpc.StatusCode.PERMISSION_DENIED, grpc.StatusCode.UNAUTHENTICATED):   # a revoked certificate
            return _refused(settings.server, exc.details())
        why = diagnose(settings.server, pair, settings.ca, timeout=TIMEOUT / 2) or f"unreachable ({exc.code().name}: {exc.details()})"
        return [fail("server", f"{settings.server}: {why}", _fix(why, settings.server)), NO_CLOCK]
    except ConfigError as exc:      # a certificate, key or CA file that cannot be read or is not one
        return [fail("server", f"cannot connect: {exc}",
                     "run doctor as the user teafarm runs as; a file that is not one: enrol this machine again"), NO_CLOCK]
    if welcome is None:
        return [fail("server", f"{settings.server} ended the stream without a word",
                     "look for this machine's name in the bot's log"), NO_CLOCK]
    if welcome.HasField("refusal"):
        return _refused(settings.server, welcome.refusal.reason)
    server = ok("server", f"{settings.server} accepts this machine as {welcome.welcome.machine!r} (mutual TLS)")
    if abs(offset) > CLOCK_LIMIT:
        way = "behind" if offset > 0 else "ahead of"
        return [server, fail("clock", f"this machine's clock is {abs(offset):.1f} s {way} the server's", CLOCK_FIX)]
    return [server, ok("clock", f"{offset:+.2f} s off the server's (at most {CLOCK_LIMIT:g} s)")]


def probe(settings: ClientSettings, pair: CertPair) -> tuple[service_pb2.ServerMessage | None, float]:
    """The server's first answer to a probe hello, and this machine's clock offset (the server's
    time minus ours at the middle of the round trip)."""
    from teafarm import __version__

    sent = time.time()
    hello = service_pb2.Hello(teafarm_version=__version__, client_time=sent, machine=settings.machine_name, probe=True)
    with grpc.secure_channel(settings.server, client_credentials(pair, settings.ca)) as channel:
        replies = service_pb2_grpc.MonitorStub(channel).Stream(
            iter([service_pb2.ClientMessage(hello=hello)]), timeout=TIMEOUT, wait_for_ready=False)
        first = next(replies, None)
    received = time.time()
    return first, (first.welcome.server_time if first else 0.0) - (sent + received) / 2


def _refused(target: str, reason: str) -> list[Finding]:
    return [fail("server", f"{target} refused this machine: {reason}",
                 ENROL_FIX),
            NO_CLOCK]


def _fix(why: str, target: str) -> str:
    if why.startswith("name mismatch"):
        return "on the bot machine: `teafarm certs server --names` with the name this machine uses"
    if why.startswith("certificate"):
        return ENROL_FIX
    return (f"start the bot (`teafarm bot`), check client.server ({target}) and open its port in the firewall "
            f"of the bot machine (server.listen must not be 127.0.0.1 for other machines)")
