"""`teafarm certs init|client`: the farm CA, the server certificate and one certificate per machine."""
from __future__ import annotations

import argparse
from pathlib import Path

# the work's imports (cryptography: ~40 ms) are inside the run functions: `teafarm` builds every
# subcommand's parser at start


def add_commands(sub, common) -> None:
    certs = sub.add_parser("certs", help="create the farm CA and machine certificates")
    actions = certs.add_subparsers(dest="action", metavar="ACTION", required=True)
    init = actions.add_parser("init", parents=[common], help="create the farm CA and the server certificate")
    init.add_argument("--names", nargs="+", metavar="NAME",
                      help="server names/IPs for the certificate (default: server.names from the config)")
    init.add_argument("--force", action="store_true", help="replace an existing CA (every machine needs new certificates)")
    init.set_defaults(func=run_init)
    client = actions.add_parser("client", parents=[common], help="create a client certificate for machine NAME")
    client.add_argument("name", help="the machine's name (its hostname unless client.machine_name says otherwise)")
    client.add_argument("--out", metavar="DIR", help="write NAME.crt, NAME.key and ca.crt here (default: the certs folder)")
    client.set_defaults(func=run_client)


def run_init(args: argparse.Namespace) -> int:
    from monitor.certs import CertPair, ca_pair, create_ca, issue
    from teafarm.config import load_config
    from teafarm.typed_config import ConfigError

    config = load_config(args.config)
    ca = ca_pair(config.data_dir)
    if ca.exists() and not args.force:
        raise ConfigError(f"{ca.certificate}: a farm CA exists already (use --force to replace it)")
    create_ca(ca)
    names = args.names or config.server.names
    settings = config.server_settings()
    server = CertPair(settings.certificate, settings.key)
    issue(ca, server, "teafarm server", names, server=True)
    print(f"farm CA: {ca.certificate} (key {ca.key}: keep it private)")
    print(f"server certificate: {server.certificate} for {', '.join(names)}")
    return 0


def run_client(args: argparse.Namespace) -> int:
    import shutil

    from monitor.certs import CertPair, ca_pair, check_machine_name, issue
    from teafarm.config import load_config

    config = load_config(args.config)
    name = check_machine_name(args.name)
    ca = ca_pair(config.data_dir)
    out = Path(args.out) if args.out else ca.certificate.parent
    pair = CertPair(out / f"{name}.crt", out / f"{name}.key")
    issue(ca, pair, name, [name], server=False)
    if out.resolve() != ca.certificate.parent.resolve():
        shutil.copyfile(ca.certificate, out / "ca.crt")
    print(f"client certificate for {name}: {pair.certificate}, {pair.key}")
    print(f"copy these and ca.crt to the machine's {config.data_dir / 'certs'} (or set client.certificate/key/ca)")
    return 0
