"""`teafarm client`: runs headless on every machine of the farm; `--enrol-file F` (or
TEAFARM_ENROL_TOKEN) gets this machine its certificate first, by token (never on the command line,
where `ps` shows it)."""
from __future__ import annotations

import argparse
import os

ENROL_ENV = "TEAFARM_ENROL_TOKEN"


def add_commands(sub, common) -> None:
    client = sub.add_parser("client", parents=[common], help="collect this machine's state and send it to the server")
    client.add_argument("--enrol-file", metavar="FILE",
                        help=f"a file holding the enrolment token of `teafarm certs token NAME` (or set {ENROL_ENV}); "
                             "ignored once this machine has its certificate")
    client.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from teafarm.apps import client_app   # here, not at the top: `teafarm` builds every subcommand's parser
    from teafarm.runtime import run_service

    token = read_token(args)     # before anything starts: a bad token file is one line

    def make_app(config):
        if token is not None:
            enrol_once(config, token)
        return client_app(config)

    return run_service(args.config, make_app)


def read_token(args: argparse.Namespace):
    from monitor.enrol_token import parse_token
    from teafarm.typed_config import ConfigError

    if args.enrol_file and os.environ.get(ENROL_ENV):    # two tokens, maybe different: which one was meant?
        raise ConfigError(f"--enrol-file and {ENROL_ENV} both give an enrolment token: use one (unset {ENROL_ENV})")
    if args.enrol_file:
        try:
            return parse_token(open(args.enrol_file, encoding="utf-8").read(), f"--enrol-file {args.enrol_file}")
        except (OSError, UnicodeDecodeError) as exc:
            raise ConfigError(f"--enrol-file {args.enrol_file}: cannot read ({getattr(exc, 'strerror', None) or exc})") from None
    if os.environ.get(ENROL_ENV):
        return parse_token(os.environ[ENROL_ENV], ENROL_ENV)
    return None


def enrol_once(config, token) -> None:
    """Enrol unless this machine has its certificate already (a token left in the unit's
    environment must not fail every restart)."""
    import logging

    from monitor.certs import CertPair
    from monitor.client.enrolment import enrol, enrol_target

    log = logging.getLogger("teafarm")
    settings = config.client_settings()
    pair = CertPair(settings.certificate, settings.key)
    if pair.exists():
        log.info("%s exists: the enrolment token is not needed any more (remove it)", pair.certificate)
        return
    target = enrol_target(settings.enrol_server, settings.server)
    cert = enrol(token, target, settings.machine_name, pair, settings.ca)
    log.info("enrolled at %s: certificate %s for machine %s (serial %x)", target, pair.certificate,
             settings.machine_name, cert.serial_number)
