"""`teafarm doctor`: every check a new machine fails on, each with the fix, as one table.

One module per kind of check (certificates, the server, chia, free space), each returning
`Finding`s; `run` puts them in order from a config file and `table` renders them. A check that does
not apply to this machine (no server certificate here: not the bot machine) is skipped, never failed.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

Status = Literal["ok", "FAIL", "skip"]


@dataclass(frozen=True)
class Finding:
    check: str
    status: Status
    detail: str
    fix: str = ""           # what to do about a failure, as a command where there is one

    @property
    def failed(self) -> bool:
        return self.status == "FAIL"


def ok(check: str, detail: str) -> Finding:
    return Finding(check, "ok", detail)


def fail(check: str, detail: str, fix: str) -> Finding:
    return Finding(check, "FAIL", detail, fix)


def skip(check: str, detail: str) -> Finding:
    return Finding(check, "skip", detail)


def run(config_file: str | None) -> list[Finding]:
    """Every check, in the order a setup depends on them: a config that does not load stops the rest."""
    from teafarm.config import describe_source, load_config
    from teafarm.doctor import certificates, chia, server, space
    from teafarm.typed_config import ConfigError

    try:
        config = load_config(config_file)     # what every start loads: the same search, the same validate
    except ConfigError as exc:
        return [fail("config", str(exc), "correct that key (`teafarm config check` checks it again)")]
    findings = [ok("config", describe_source(config))]
    findings += certificates.check(config)
    findings += server.check(config.client_settings())
    findings += chia.check(config.chia)
    findings += space.check(config)
    return findings


def table(findings: list[Finding]) -> str:
    """A pass/fail table; each failure's fix on the line below it."""
    width = max(len(f.check) for f in findings)
    lines = [f"{'CHECK'.ljust(width)}  RESULT  DETAIL"]
    for finding in findings:
        lines.append(f"{finding.check.ljust(width)}  {finding.status.ljust(6)}  {finding.detail}")
        if finding.fix:
            lines.append(f"{''.ljust(width)}          fix: {finding.fix}")
    failed = sum(f.failed for f in findings)
    lines.append(f"{failed} check{'s' if failed != 1 else ''} failed" if failed else "all checks passed")
    return "\n".join(lines)
