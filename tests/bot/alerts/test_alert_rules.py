"""Every alert rule: fires once, does not repeat, reminds with backoff, recovers, honours mutes and
the startup grace. Events go through the real server; the engine runs with a clock the test moves."""
from __future__ import annotations

import itertools

import pytest

from bot.alerts.rules import ALERTS
from tests.helpers.alert_harness import text_of, titles
from tests.helpers.alert_scenarios import BY_ALERT, NODE, SCENARIOS, STATEFUL, Scenario
from tests.helpers.farm import disk, plot

_numbers = itertools.count(1)


def machine_for(scenario: Scenario) -> str:
    return f"{scenario.alert.replace('_', '-')}-{next(_numbers)}"


def send(server, machine: str, events) -> None:
    if events:
        server.send(machine, *events)


def of(scenario: Scenario, replies) -> list:
    """Messages about this alert, alone or merged with others of the same machine."""
    return [r for r in replies if heads(scenario, [r])]


def heads(scenario: Scenario, replies) -> list[str]:
    """The headline about this alert in each message: the title, or its section in a merged message."""
    found = []
    for r in replies:
        headings = [s.heading for s in r.sections if s.heading]      # merged: its title sums them up
        found += [h for h in headings or [r.title] if scenario.title in h]
    return found


def start(server, harness, scenario: Scenario, **settings):
    h = harness(**settings)
    machine = machine_for(scenario)
    send(server, machine, scenario.setup())
    assert of(scenario, h.run()) == [], "setting up must not alert"
    return h, machine


def test_every_alert_has_a_scenario():
    assert set(BY_ALERT) | {"machine_silent"} == set(ALERTS)


@pytest.mark.parametrize("scenario", SCENARIOS, ids=lambda s: s.alert)
def test_fires_once_naming_machine_and_harvester(server, harness, scenario):
    h, machine = start(server, harness, scenario)
    send(server, machine, scenario.problem())
    fired = of(scenario, h.run())
    assert len(fired) == 1, titles(fired)
    text = text_of(fired[0])
    assert machine in text and scenario.detail in text
    assert fired[0].severity == ALERTS[scenario.alert].severity or fired[0].title.endswith("alerts")
    if scenario.names_harvester:
        assert f"harvester: {machine} {NODE[:8]}" in text
    send(server, machine, scenario.repeat())
    assert of(scenario, h.run()) == [], "the same problem must not be sent again"
    h.restart()
    assert of(scenario, h.run()) == [], "a restarted bot must not send it again"


@pytest.mark.parametrize("scenario", STATEFUL, ids=lambda s: s.alert)
def test_recovers_once(server, harness, scenario):
    h, machine = start(server, harness, scenario)
    send(server, machine, scenario.problem())
    assert len(of(scenario, h.run())) == 1
    send(server, machine, scenario.repeat())
    send(server, machine, scenario.clear())
    recovered = of(scenario, h.run())
    assert heads(scenario, recovered) == [f"Recovered: {scenario.title}"]
    assert recovered[0].severity == "ok" and machine in text_of(recovered[0])
    assert h.botdb.execute("SELECT count(*) FROM alerts WHERE machine = ?", (machine,)).fetchone()[0] == 0
    assert of(scenario, h.run()) == []


@pytest.mark.parametrize("scenario", STATEFUL, ids=lambda s: s.alert)
def test_reminds_with_backoff_while_the_problem_lasts(server, harness, scenario):
    h, machine = start(server, harness, scenario, reminder_first=600.0, reminder_max=2400.0)
    send(server, machine, scenario.problem())
    assert len(of(scenario, h.run())) == 1
    reminders = []
    for _ in range(12):                      # 12 x 5 min = 1 h: reminders at 10, 30, 70 (capped 40 min) ...
        h.advance(300)
        reminders.append(len(of(scenario, h.run())))
    assert reminders == [0, 1, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0], reminders
    h.advance(25 * 60)
    still = of(scenario, h.run())
    assert heads(scenario, still) == [f"Still: {scenario.title} (for 85 min)"]


@pytest.mark.parametrize("scenario", SCENARIOS, ids=lambda s: s.alert)
def test_mute_of_the_rule_the_machine_or_the_harvester_silences_it(server, harness, scenario):
    for target in ("rule", "machine", "harvester") if scenario.names_harvester else ("rule", "machine"):
        h, machine = start(server, harness, scenario)
        h.mute({"rule": f"rule:{scenario.alert}", "machine": f"machine:{machine}", "harvester": f"harvester:{NODE}"}[target])
        send(server, machine, scenario.problem())
        assert of(scenario, h.run()) == [], target
        if not scenario.one_shot:
            send(server, machine, scenario.repeat())
            send(server, machine, scenario.clear())
            assert of(scenario, h.run()) == [], f"{target}: no recovery for an alert never sent"


@pytest.mark.parametrize("scenario", STATEFUL, ids=lambda s: s.alert)
def test_unmute_announces_a_problem_still_present(server, harness, scenario):
    h, machine = start(server, harness, scenario)
    h.mute(f"machine:{machine}", seconds=600)
    send(server, machine, scenario.problem())
    assert of(scenario, h.run()) == []
    h.advance(601)
    assert heads(scenario, h.run()) == [scenario.title]


@pytest.mark.parametrize("scenario", SCENARIOS, ids=lambda s: s.alert)
def test_startup_grace_holds_alerts_and_drops_what_recovered_meanwhile(server, harness, scenario):
    h, machine = start(server, harness, scenario, startup_grace=120.0)
    send(server, machine, scenario.problem())
    assert of(scenario, h.run()) == []
    if not scenario.one_shot:
        send(server, machine, scenario.clear())
        assert of(scenario, h.run()) == []
        h.advance(200)
        assert of(scenario, h.run()) == [], "recovered within the grace: never sent"
        send(server, machine, scenario.problem())
        send(server, machine, scenario.repeat())
        assert len(of(scenario, h.run())) == 1, "after the grace it fires at once"
    else:
        h.advance(200)
        assert len(of(scenario, h.run())) == 1, "news waits for the end of the grace, it is not dropped"


@pytest.mark.parametrize("alert", ["harvester_disconnected", "disk_full"])
def test_debounce_sends_only_problems_that_last(server, harness, alert):
    scenario = BY_ALERT[alert]
    h, machine = start(server, harness, scenario, rules={})      # the built-in debounces
    debounce = ALERTS[alert].debounce
    send(server, machine, scenario.problem())
    assert of(scenario, h.run()) == []
    send(server, machine, scenario.clear())
    h.advance(debounce + 1)
    assert of(scenario, h.run()) == [], "a blip shorter than the debounce is never sent"
    send(server, machine, scenario.problem())
    h.run()
    h.advance(debounce + 1)
    assert len(of(scenario, h.run())) == 1


@pytest.mark.parametrize("alert", ["harvester_disconnected", "disk_full"])
def test_disabled_rule_never_fires(server, harness, alert):
    from bot.alerts.settings import RuleSettings
    scenario = BY_ALERT[alert]
    h, machine = start(server, harness, scenario, rules={alert: RuleSettings(enabled=False)})
    send(server, machine, scenario.problem())
    assert of(scenario, h.run()) == []


def test_a_plot_disk_is_never_almost_full_at_a_first_sync(server, harness):
    """A machine's first sync sends its disks before its plots (bench/simfarm.py found the false
    "disk almost full"): stored in one batch, or the plots in the next (the harvester answers after
    the hardware), a disk holding plots never alerts; a full disk without plots still does."""
    h = harness()                                               # no debounce, no grace
    machine = f"first-sync-{next(_numbers)}"
    send(server, machine, [disk("/mnt/p1", 97.0), *(plot(f"p1-{i}", NODE, disk="/mnt/p1") for i in range(3))])
    assert titles(h.run()) == []

    h = harness(rules={})                                       # the built-in debounce
    machine = f"first-sync-{next(_numbers)}"
    send(server, machine, [disk("/mnt/p2", 97.0), disk("/var", 97.0)])
    assert titles(h.run()) == []
    send(server, machine, [plot("p2-0", NODE, disk="/mnt/p2")])
    h.advance(ALERTS["disk_full"].debounce + 1)
    fired = h.run()
    assert titles(fired) == ["Disk almost full"]
    assert f"/var on {machine}" in text_of(fired[0])
