"""Timer alerts (machine silent, machine back): the engine looks when the silence rule asks, so
"silent" goes out at its threshold and "back" within a second of the machine speaking again, not
on a 30 s tick; the text says since when. The clock is the test's."""
from __future__ import annotations

import asyncio
import time

from bot.alerts.service import AlertService
from bot.alerts.settings import AlertSettings
from tests.helpers.alert_harness import Harness, RecordingTransport, text_of, titles
from tests.helpers.backbone import event
from tests.helpers.farm import UPDATE
from tests.helpers.waiting import wait_until_async


def last_seen(h: Harness, machine: str) -> float:
    return next(m["last_seen"] for m in h.reader.machines() if m["machine"] == machine)


def about(machine: str, replies) -> list:
    return [r for r in replies if f"machine: {machine}" in text_of(r)]


def look(h: Harness, at: float, machine: str) -> list:
    """One round of the service's engine loop at clock `at` (events, due clock rules, sweep), then delivery."""
    h.t = at
    h.engine.catch_up()
    h.engine.tick_due()
    h.engine.sweep()
    asyncio.run(h._deliver_all())
    new, h.seen = h.transport.sent[h.seen:], len(h.transport.sent)
    return about(machine, new)


def speak_again(server, machine: str, seen: float) -> None:
    """The server stamps last_seen with the real clock: the message that ends a silence must come
    more than a (real) second after the one before it, as it would after a real silence (no assertion
    depends on how long this takes)."""
    time.sleep(max(0.0, seen + 1.05 - time.time()))
    server.send(machine, event("ram", UPDATE, percent=11.0))      # a heartbeat would do: no alert event either


def test_silent_fires_at_its_threshold_and_back_within_a_second_of_speaking(server, tmp_path):
    server.send("tick1", event("ram", percent=10.0))
    h = Harness(server.database, tmp_path, machine_silent=180.0)
    seen = last_seen(h, "tick1")
    h.engine.started = seen - 100                 # the bot had been listening for a while
    assert look(h, seen + 10, "tick1") == []
    assert look(h, seen + 179.9, "tick1") == [], "not silent yet"
    fired = look(h, seen + 180, "tick1")          # a 30 s tick would say so up to 30 s later
    assert titles(fired) == ["Machine silent"] and fired[0].severity == "critical"
    since = time.strftime("%H:%M:%S", time.localtime(seen))
    assert f"tick1 silent since {since}: nothing, not even a heartbeat" in text_of(fired[0])
    speak_again(server, "tick1", seen)
    back = time.strftime("%H:%M:%S", time.localtime(last_seen(h, "tick1")))
    recovered = look(h, seen + 181, "tick1")
    assert titles(recovered) == ["Recovered: Machine silent"], "back within a second"
    assert f"tick1 is back: heard from at {back}" in text_of(recovered[0])
    h.close()


def test_the_silent_text_says_since_when_never_for_0_min(server, tmp_path):
    server.send("tick2", event("ram", percent=10.0))
    h = Harness(server.database, tmp_path, machine_silent=2.0)
    seen = last_seen(h, "tick2")
    h.engine.started = seen - 100
    fired = look(h, seen + 2.5, "tick2")
    assert titles(fired) == ["Machine silent"]
    assert f"tick2 silent since {time.strftime('%H:%M:%S', time.localtime(seen))}" in text_of(fired[0])
    assert " min" not in text_of(fired[0])
    h.close()


def test_the_alert_service_looks_at_the_clock_rules_itself(server, tmp_path):
    """No scheduler job: the service's own rounds (the 1 s idle wake) run the silence rule when due."""
    server.send("tick3", event("ram", percent=10.0))
    chat = RecordingTransport("chat")
    clock = [0.0]
    settings = AlertSettings(startup_grace=0.0, group_window=0.0, daily_summary="", machine_silent=180.0)
    service = AlertService(server.database, tmp_path / "bot.db", settings, [chat], clock=lambda: clock[0])

    async def scenario():
        seen = next(m["last_seen"] for m in _machines(server) if m["machine"] == "tick3")
        clock[0] = seen - 100                     # the service starts "before" the machine's last message
        await service.start()
        try:
            clock[0] = seen + 180
            await wait_until_async(lambda: about("tick3", chat.sent), 10, "machine silent from the service's own rounds")
            assert titles(about("tick3", chat.sent)) == ["Machine silent"]
            speak_again(server, "tick3", seen)
            clock[0] += 1
            await wait_until_async(lambda: len(about("tick3", chat.sent)) == 2, 10, "the recovery")
            assert titles(about("tick3", chat.sent))[1] == "Recovered: Machine silent"
        finally:
            await service.stop()

    asyncio.run(scenario())


def _machines(server) -> list[dict]:
    from monitor.store.reader import StoreReader
    reader = StoreReader(server.database)
    try:
        return reader.machines()
    finally:
        reader.close()
