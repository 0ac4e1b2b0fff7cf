"""The restart matrix on the real chia farm (issue 14): a `teafarm client` killed with -9 and restarted
raises nothing and deletes nothing (point 6); chia's harvester and farmer killed with -9 each alert
once (after their debounce) and recover once when chia starts them again. The farm is the package's
(tests/helpers/real_farm.py); the alert engine runs over its database with the default debounces and
a clock the test moves past them, so a blip that would alert after its debounce shows here."""
from __future__ import annotations

import os
import signal
import time

import pytest

from bot.alerts.settings import AlertSettings
from tests.helpers.alert_harness import Harness
from tests.helpers.backbone import query
from tests.helpers.farm import max_seq
from tests.helpers.real_farm import RealFarm
from tests.helpers.waiting import wait_until

pytestmark = [pytest.mark.chia, pytest.mark.timeout(300)]

CHIA_TABLES = ("chia_service", "harvester", "harvester_identity", "plot", "farmer", "full_node", "wallet", "pool")
PAST_EVERY_DEBOUNCE = 600.0
NEWS = ("Proof found", "Block farmed")


def services(farm: RealFarm) -> dict[str, str]:
    return dict(query(farm.database, "SELECT id, state FROM chia_service WHERE machine = 'testbox'"))


def steady(farm: RealFarm) -> None:
    """chia's harvester and farmer run, the harvester is connected with its plots."""
    wait_until(lambda: services(farm).get("harvester") == services(farm).get("farmer") == "RUNNING"
               and (farm.harvester() or (0,))[0] == 1, 120, lambda: f"harvester and farmer running\n{farm.logs()}")


def harness(farm: RealFarm, folder) -> Harness:
    """The alert engine from now on, with every alert's own debounce (and no startup grace). Its
    clock jumps past them: machine silence, a matter of the clock alone, is left out."""
    return Harness(farm.database, folder, rules=AlertSettings().rules, machine_silent=10 * PAST_EVERY_DEBOUNCE)


def said(replies) -> list[str]:
    """Each alert the messages carry (a merged message's sections), news left out: the real farm
    finds proofs now and then."""
    found = []
    for reply in replies:
        found += [s.heading for s in reply.sections if s.heading] or [reply.title]
    return sorted(title for title in found if title not in NEWS)


def late(h: Harness) -> list[str]:
    """What the engine sends now and once every debounce has run out."""
    sent = said(h.run(tick=True))
    h.advance(PAST_EVERY_DEBOUNCE)
    return sorted(sent + said(h.run(tick=True)))


def test_a_client_killed_and_restarted_raises_and_deletes_nothing(real_farm, tmp_path):
    farm = real_farm
    steady(farm)
    h = harness(farm, tmp_path)
    seq = max_seq(farm.database)
    log_at = len(farm.client.log_text())
    farm.client.kill9()
    farm.client = farm.teafarm.start_client()
    wait_until(lambda: all(f"chia {s}: RUNNING" in farm.client.log_text() for s in ("harvester", "farmer"))
               and "plot list read" in farm.client.log_text(), 60, lambda: f"the restarted client's chia\n{farm.logs()}")
    wait_until(lambda: "connected to" in farm.client.log_text(), 30, "the restarted client connected")
    time.sleep(3)                                 # a few snapshots and polls of the new client
    deletes = {t: query(farm.database, f'SELECT id FROM "{t}_events" WHERE event_type = ? AND seq > ?', ("DELETE", seq))
               for t in CHIA_TABLES}
    assert all(not rows for rows in deletes.values()), deletes
    assert late(h) == []
    assert query(farm.database, "SELECT connected FROM machines WHERE machine = 'testbox'") == [(1,)]
    assert "Traceback" not in farm.client.log_text()[log_at:]
    h.close()


@pytest.mark.parametrize("service, start", [("harvester", "harvester"), ("farmer", "farmer-only")])
def test_a_chia_service_killed_alerts_once_and_recovers_once(real_farm, tmp_path, service, start):
    farm = real_farm
    steady(farm)
    h = harness(farm, tmp_path)
    os.kill(farm.chia.service_pid(service), signal.SIGKILL)
    try:
        wait_until(lambda: services(farm).get(service) == "STOPPED" and (farm.harvester() or (1,))[0] == 0, 60,
                   lambda: f"chia {service} stopped\n{farm.logs()}")
        assert late(h) == ["Chia service stopped", "Harvester disconnected"]
    finally:
        farm.chia.start(start)                    # the next test needs it, whatever happened here
    steady(farm)
    assert said(h.run(tick=True)) == ["Recovered: Chia service stopped", "Recovered: Harvester disconnected"]
    assert late(h) == []
    h.close()
