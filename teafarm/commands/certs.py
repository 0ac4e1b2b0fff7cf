"""`teafarm certs`: the farm CA and the server certificate (init, server), machine certificates by
hand (client) or by enrolment token (token), revocation (revoke) and the list of them all (list)."""
from __future__ import annotations

import argparse
from pathlib import Path

# the work's imports (cryptography: ~40 ms) are inside the run functions: `teafarm` builds every
# subcommand's parser at start

MAX_TTL = 7 * 86400


def add_commands(sub, common) -> None:
    certs = sub.add_parser("certs", help="the farm CA, machine certificates, enrolment tokens, revocation")
    actions = certs.add_subparsers(dest="action", metavar="ACTION", required=True)
    init = actions.add_parser("init", parents=[common], help="create the farm CA and the server certificate")
    init.add_argument("--names", nargs="+", metavar="NAME",
                      help="server names/IPs for the certificate (default: server.names from the config; "
                           "localhost, 127.0.0.1, ::1 and the host name are always added)")
    init.add_argument("--force", action="store_true",
                      help="replace an existing CA (every other machine needs a new certificate)")
    init.set_defaults(func=run_init)
    server = actions.add_parser("server", parents=[common], help="reissue the server certificate under the existing CA")
    server.add_argument("--names", nargs="+", metavar="NAME",
                        help="names/IPs the farm's machines use to reach this server (default: server.names; "
                             "localhost, 127.0.0.1, ::1 and the host name are always added)")
    server.set_defaults(func=run_server)
    client = actions.add_parser("client", parents=[common], help="create a client certificate for machine NAME by hand")
    client.add_argument("name", help="the machine's name (its hostname unless client.machine_name says otherwise)")
    client.add_argument("--out", metavar="DIR", help="write NAME.crt, NAME.key and ca.crt here (default: the certs folder)")
    client.set_defaults(func=run_client)
    token = actions.add_parser("token", parents=[common], help="an enrolment token for machine NAME (teafarm client --enrol-file)")
    token.add_argument("name", help="the machine's name (its hostname unless client.machine_name says otherwise)")
    token.add_argument("--ttl", default="1h", help="how long the token may be used (default 1h, at most 7d)")
    token.add_argument("--replace", action="store_true",
                       help="NAME has a valid certificate: enrol it anew, revoking the old one when the token is used")
    token.set_defaults(func=run_token)
    revoke = actions.add_parser("revoke", parents=[common], help="refuse a machine's certificate from now on")
    revoke.add_argument("target", metavar="NAME|SERIAL", help="a machine name (all its certificates) or one serial")
    revoke.set_defaults(func=run_revoke)
    listing = actions.add_parser("list", parents=[common], help="the machines' certificates: serial, expiry, revoked")
    listing.set_defaults(func=run_list)


def run_init(args: argparse.Namespace) -> int:
    from monitor.certs import CertPair, ca_pair, create_ca, issue_server
    from teafarm.config import load_config
    from teafarm.typed_config import ConfigError

    config = load_config(args.config)
    ca = ca_pair(config.data_dir)
    if ca.exists() and not args.force:
        raise ConfigError(f"{ca.certificate}: a farm CA exists already: `teafarm certs server --names NAME...` "
                          "reissues the server certificate under it (--force replaces the CA)")
    create_ca(ca)
    settings = config.server_settings()
    names = issue_server(config.data_dir, CertPair(settings.certificate, settings.key), args.names or config.server.names)
    print(f"farm CA: {ca.certificate} (key {ca.key}: keep it private)")
    print(f"server certificate: {settings.certificate} for {', '.join(names)}")
    local = config.client_settings()
    if Path(local.certificate).exists():    # this machine's own client would no longer be trusted
        cert = _issue_client(config, local.machine_name, CertPair(local.certificate, local.key))
        print(f"this machine's client certificate: {local.certificate} (serial {cert.serial_number:x})")
    print(_restart_note())
    return 0


def run_server(args: argparse.Namespace) -> int:
    from monitor.certs import CertPair, issue_server
    from teafarm.config import load_config

    config = load_config(args.config)
    settings = config.server_settings()
    names = issue_server(config.data_dir, CertPair(settings.certificate, settings.key), args.names or config.server.names)
    print(f"server certificate: {settings.certificate} for {', '.join(names)}")
    print(_restart_note())
    return 0


def _restart_note() -> str:
    return "the bot (or server) uses it from its next start: restart it if it runs"


def run_client(args: argparse.Namespace) -> int:
    import shutil

    from monitor.certs import CertPair, ca_pair, check_machine_name
    from teafarm.config import load_config

    config = load_config(args.config)
    name = check_machine_name(args.name)
    ca = ca_pair(config.data_dir)
    out = Path(args.out) if args.out else ca.certificate.parent
    pair = CertPair(out / f"{name}.crt", out / f"{name}.key")
    _issue_client(config, name, pair)
    if out.resolve() != ca.certificate.parent.resolve():
        shutil.copyfile(ca.certificate, out / "ca.crt")
    print(f"client certificate for {name}: {pair.certificate}, {pair.key}")
    print(f"copy these and ca.crt to the machine's {config.data_dir / 'certs'} (or set client.certificate/key/ca)")
    return 0


def _issue_client(config, name: str, pair):
    """A client certificate made here, recorded in the registry (so it can be listed and revoked)."""
    from monitor.certs import ca_pair, issue

    cert = issue(ca_pair(config.data_dir), pair, name, [name], server=False)
    with _registry(config) as registry:
        registry.record_issued(cert, name)
    return cert


def run_token(args: argparse.Namespace) -> int:
    import sys
    import time

    from monitor.certs import ca_fingerprint, ca_pair, check_machine_name
    from monitor.enrol_token import new_token
    from monitor.server.enrolment import enrol_address
    from teafarm.config import load_config
    from teafarm.typed_config import ConfigError

    config = load_config(args.config)
    name = check_machine_name(args.name)
    ttl = _ttl(args.ttl)
    ca = ca_pair(config.data_dir)
    if not ca.key.is_file():
        raise ConfigError(f"{ca.key}: no farm CA here: make tokens on the machine of the bot (or server)")
    token = new_token(ca_fingerprint(ca.certificate.read_bytes()))
    with _registry(config) as registry:
        expires = registry.add_token(token.token_id, token.secret, name, ttl, args.replace)
    print(token)
    listen = enrol_address(config.server.enrol_listen, config.server.listen)
    where = f"the enrolment listener ({listen})" if listen else "nothing: server.enrol_listen is off here (set it, restart)"
    print(f"for machine {name}, once, until {time.strftime('%Y-%m-%d %H:%M', time.localtime(expires))}; "
          f"it is answered by {where}. On {name}: put it in a file only you can read and run "
          f"`teafarm client --enrol-file FILE` (or set TEAFARM_ENROL_TOKEN)", file=sys.stderr)
    return 0


def _ttl(text: str) -> float:
    from bot.commands.base import CommandError
    from bot.commands.format import parse_duration
    from teafarm.typed_config import ConfigError

    try:
        seconds = parse_duration(text)
    except CommandError as exc:
        raise ConfigError(f"--ttl: {exc}") from None
    if not 0 < seconds <= MAX_TTL:
        raise ConfigError(f"--ttl {text}: at most 7d")
    return seconds


def run_revoke(args: argparse.Namespace) -> int:
    from teafarm.config import load_config

    config = load_config(args.config)
    with _registry(config) as registry:
        revoked = registry.revoke(args.target)
    if not revoked:
        print(f"{args.target}: revoked already")
    for row in revoked:
        print(f"revoked {row.name} (serial {row.serial}): the running server refuses it within seconds, no restart")
    return 0


def run_list(args: argparse.Namespace) -> int:
    import time

    from teafarm.config import load_config

    config = load_config(args.config)
    with _registry(config) as registry:
        rows = registry.certificates()
    if not rows:
        print("no machine certificate recorded yet (they are recorded when made here, enrolled or first seen)")
        return 0

    def day(timestamp: float | None) -> str:
        return time.strftime("%Y-%m-%d", time.localtime(timestamp)) if timestamp else "-"

    table = [("MACHINE", "SERIAL", "EXPIRES", "SOURCE", "LAST SEEN", "REVOKED")]
    table += [(r.name, r.serial, day(r.not_after), r.source, day(r.last_seen), day(r.revoked_at) if r.revoked_at else "no")
              for r in rows]
    widths = [max(len(row[i]) for row in table) for i in range(len(table[0]))]
    for row in table:
        print("  ".join(cell.ljust(width) for cell, width in zip(row, widths)).rstrip())
    return 0


def _registry(config):
    """The certificate registry beside the farm database, closed after use (a `with` block)."""
    import contextlib

    from monitor.server.registry import Registry, registry_path

    return contextlib.closing(Registry(registry_path(config.server_settings().database)))
