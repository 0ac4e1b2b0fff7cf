"""chia as the client will read it: its config under chia's root, its RPC answering with chia's own
certificates (readable only by the user chia runs as), and a log level at which debug.log says
what teafarm reads from it (chia's default, WARNING, hides it)."""
from __future__ import annotations

import asyncio

from monitor.client.chia.chia_root import SERVICES, ChiaRoot, default_chia_root
from monitor.client.chia.rpc import ChiaRpc, RpcFailed, ServiceDown
from monitor.client.chia.settings import ChiaSettings
from teafarm.doctor import Finding, fail, ok, skip

QUIET_LEVELS = ("WARNING", "ERROR", "CRITICAL")
LOG_FIX = "chia configure --log-level INFO, then restart chia (`chia start -r farmer`)"


def check(settings: ChiaSettings) -> list[Finding]:
    if not settings.enabled:
        return [skip("chia RPC", "chia.enabled is false"), skip("chia log level", "chia.enabled is false")]
    root = ChiaRoot.load(default_chia_root(settings.root))
    if not root.installed:
        return [fail("chia RPC", f"no chia config at {root.path / 'config' / 'config.yaml'}",
                     "set chia.root (or CHIA_ROOT) to chia's root, run doctor as the user chia runs as, "
                     "or set chia.enabled: false on a machine without chia"),
                skip("chia log level", "needs chia's config")]
    return [_rpc(root, settings.rpc_timeout), _log_level(root, settings.debug_log)]


def _rpc(root: ChiaRoot, timeout: float) -> Finding:
    answered, problems = asyncio.run(_ask_every_service(root, timeout))
    if answered:
        return ok("chia RPC", f"{', '.join(answered)} answer ({root.path})")
    if problems:
        return fail("chia RPC", "; ".join(problems),
                    "run doctor (and teafarm client) as the user chia runs as, so chia's certificates can be read")
    return fail("chia RPC", f"no chia service answers ({', '.join(SERVICES)}; ports from {root.path}/config/config.yaml)",
                "start chia (`chia start farmer` or `chia start harvester`)")


async def _ask_every_service(root: ChiaRoot, timeout: float) -> tuple[list[str], list[str]]:
    """Services that answered, and the problems other than "not running" (a machine runs only some)."""
    answered, problems = [], []
    for service in SERVICES:
        rpc = ChiaRpc(root, service, timeout)
        try:
            await rpc.call("get_version")      # every chia RPC server has it
            answered.append(service)
        except ServiceDown as exc:
            if "certificate" in str(exc):
                problems.append(str(exc))
        except RpcFailed as exc:
            problems.append(str(exc))
        finally:
            await rpc.close()
    return answered, problems


def _log_level(root: ChiaRoot, debug_log: str) -> Finding:
    if debug_log == "off":
        return skip("chia log level", "chia.debug_log is off: teafarm does not read chia's log")
    levels = {service: root.log_level(service) for service in ("farmer", "harvester")}
    quiet = [f"{service} {level}" for service, level in levels.items() if level.upper() in QUIET_LEVELS]
    if quiet:
        return fail("chia log level", f"{', '.join(quiet)} hides the lines teafarm reads from debug.log", LOG_FIX)
    return ok("chia log level", ", ".join(f"{s} {level}" for s, level in levels.items()))
