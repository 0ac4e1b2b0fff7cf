"""The enrolment token, shared by `teafarm certs token` (which prints it) and `teafarm client` (which uses it).

`tf1.<id>.<secret>.<pin>`: the id names the server's record, the secret (at least 128 bits from
`secrets`) proves the holder may have one certificate, and the pin is the SHA-256 of the farm CA
certificate, so the new machine trusts the right server before it sends the secret.
"""
from __future__ import annotations

import re
import secrets
from dataclasses import dataclass

from teafarm.typed_config import ConfigError

PREFIX = "tf1"
SECRET_BYTES = 24          # 192 bits
DEFAULT_ENROL_PORT = 8442
_TOKEN = re.compile(r"^tf1\.([0-9a-f]{12})\.([A-Za-z0-9_-]{22,128})\.([0-9a-f]{64})$")


@dataclass(frozen=True)
class EnrolToken:
    token_id: str
    secret: str
    pin: str               # sha256 of the CA certificate (DER), hex

    def __str__(self) -> str:
        return f"{PREFIX}.{self.token_id}.{self.secret}.{self.pin}"

    def __repr__(self) -> str:   # never the secret in a log or a traceback
        return f"EnrolToken({self.token_id})"


def new_token(pin: str) -> EnrolToken:
    return EnrolToken(secrets.token_hex(6), secrets.token_urlsafe(SECRET_BYTES), pin)


def parse_token(text: str, where: str) -> EnrolToken:
    """The token in `text` (surrounding whitespace and a byte order mark, as Windows editors write,
    ignored); `where` names its source in the error."""
    match = _TOKEN.fullmatch(text.strip().lstrip("\ufeff").strip())
    if not match:
        raise ConfigError(f"{where}: not a teafarm enrolment token (expected tf1.<id>.<secret>.<pin>, "
                          "as `teafarm certs token NAME` prints it)")
    return EnrolToken(*match.groups())
