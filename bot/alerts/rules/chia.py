"""Chia itself: full node or wallet out of sync, a chia service stopped, a log parser gone blind.

Only transitions count: a service a machine never ran, or a node that is still syncing when it
is first seen, is not an alert (farmers complain about alerts for services they do not run)."""
from __future__ import annotations

from bot.alerts.rules.base import Finding, Rule, RuleContext
from bot.alerts.transition import Transition

PROBLEM_STATES = ("STOPPED", "FAILING")


class SyncState(Rule):
    names = ("node_out_of_sync", "wallet_out_of_sync")
    topics = ("full_node", "wallet")

    def check(self, t: Transition, ctx: RuleContext) -> list[Finding]:
        if t.before is None or t.after is None:
            return []
        rule, what = ("node_out_of_sync", "full node") if t.topic == "full_node" else ("wallet_out_of_sync", "wallet")
        height = t.after.get("peak_height", t.after.get("height"))
        if t.before.get("synced") and not t.after.get("synced"):
            return [Finding(rule, t.machine, "", True, f"{what.capitalize()} out of sync",
                            f"the {what} on {t.machine} lost sync at height {height}", source_time=t.server_time)]
        if t.after.get("synced") and not t.before.get("synced"):
            return [Finding(rule, t.machine, "", False, f"{what.capitalize()} out of sync", source_time=t.server_time)]
        return []


class ServiceStopped(Rule):
    names = ("service_stopped",)
    topics = ("chia_service",)

    def check(self, t: Transition, ctx: RuleContext) -> list[Finding]:
        was = (t.before or {}).get("state")
        now = (t.after or {}).get("state")
        if was == "RUNNING" and (now in PROBLEM_STATES or t.deleted):
            error = (t.after or {}).get("error") or ""
            detail = f"chia {t.id} on {t.machine} is {(now or 'gone').lower()}" + (f": {error}" if error else "")
            return [Finding("service_stopped", t.machine, t.id, True, "Chia service stopped", detail, source_time=t.server_time)]
        if now == "RUNNING" and was != "RUNNING":
            # back and healthy, however it went (a FAILING row, or a row that was deleted and is
            # added again): whatever alert it had recovers; without one this finding does nothing
            return [Finding("service_stopped", t.machine, t.id, False, "Chia service stopped", source_time=t.server_time)]
        return []


class MonitoringBlind(Rule):
    names = ("monitoring_blind",)
    topics = ("log_health",)

    def check(self, t: Transition, ctx: RuleContext) -> list[Finding]:
        was = bool((t.before or {}).get("blind"))
        now = bool((t.after or {}).get("blind"))
        if now and not was:
            after = t.after
            return [Finding("monitoring_blind", t.machine, t.id, True, "Monitoring blind",
                            f"{after.get('parser')} stopped matching lines in {after.get('file')} on {t.machine} "
                            f"(did chia change its log format or level?)", source_time=t.server_time)]
        if was and not now:
            return [Finding("monitoring_blind", t.machine, t.id, False, "Monitoring blind", source_time=t.server_time)]
        return []
