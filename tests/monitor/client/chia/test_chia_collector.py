"""ChiaCollector against fake chia services (mutual TLS, recorded payloads) and a daemon websocket."""
from __future__ import annotations

import asyncio
import copy
import logging
import time

from monitor.client.chia.chia_root import ChiaRoot
from monitor.client.chia.collector import ChiaCollector
from monitor.client.chia.settings import ChiaSettings
from monitor.client.collector import kept_of
from protocol import chia_pb2, events_pb2
from tests.helpers.fake_chia import Hang, recorded

NODE = "6348b90104bd04ffcd68bf8a1606488cd768ac5d4303b88655778017fcf1723c"
EVENTS = recorded("daemon-events-2.7.5.json")
T0 = 1_800_000_000.0


class Clock:
    def __init__(self, now: float = T0) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


async def snapshot_until(collector: ChiaCollector, condition, timeout: float = 15, what: str = "condition"):
    """Collect like the client does: plot rows the collector reports unchanged keep their last state."""
    deadline = time.monotonic() + timeout
    last_plots: list = []
    while True:
        snapshot = events_pb2.ComputerInfo()
        if kept_of(await collector.collect(snapshot)).get("plots", ...) is None:
            snapshot.plots.extend(last_plots)
        else:
            last_plots = list(snapshot.plots)
        if condition(snapshot):
            return snapshot
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}; last snapshot:\n{snapshot}")
        await asyncio.sleep(0.1)


def services(snapshot) -> dict[str, int]:
    return {s.id: s.state for s in snapshot.chia_services}


def running(*names):
    return lambda s: all(services(s).get(n) == chia_pb2.RUNNING for n in names)


def run_with_collector(root, scenario, clock=None, **settings):
    async def main():
        collector = ChiaCollector(ChiaSettings(root=str(root), **{"poll_interval": 30.0, **settings}),
                                  **({"clock": clock} if clock else {}))
        await collector.start()
        try:
            return await scenario(collector)
        finally:
            await collector.stop()
    return asyncio.run(main())


def sp_event(sp_hash: str, challenge: str, index: int) -> dict:
    data = copy.deepcopy(EVENTS["new_signage_point"]["data"])
    data["signage_point"].update(challenge_chain_sp="0x" + sp_hash, challenge_hash="0x" + challenge,
                                 signage_point_index=index)
    return data


def farming_info_event(sp_hash: str, node_id: str = NODE, lookup_us: int = 530, proofs: int = 0) -> dict:
    data = copy.deepcopy(EVENTS["new_farming_info"]["data"])
    data["farming_info"].update(signage_point="0x" + sp_hash, node_id="0x" + node_id, lookup_time=lookup_us,
                                proofs=proofs, passed_filter=1, total_plots=10)
    return data


def test_snapshot_from_recorded_answers_of_every_service(chia_root, fake_chia):
    root, _ = chia_root
    fake_chia.start()

    async def scenario(collector):
        return await snapshot_until(collector, lambda s: running("daemon", "farmer", "harvester", "full_node", "wallet")(s)
                                    and s.harvesters and len(s.plots) == 7 and s.wallet.height, what="all services")
    snap = run_with_collector(root, scenario, plot_rows="all")
    assert fake_chia.registered == ["metrics"]
    assert {s.id: s.version for s in snap.chia_services if s.id != "daemon"} == dict.fromkeys(
        ["farmer", "harvester", "full_node", "wallet"], "2.7.5")
    assert all(s.log_level == "INFO" for s in snap.chia_services if s.id != "daemon")
    (harvester,) = snap.harvesters
    assert (harvester.id, harvester.connected, harvester.plots, harvester.invalid_plots) == (NODE, True, 10, 1)
    (identity,) = snap.harvester_identities
    assert identity.node_id == ChiaRoot.load(root).harvester_node_id()
    assert list(identity.plot_directories) == ["/srv/chia/plots", "/srv/chia/plots2", "/srv/chia/plots3"]
    local = [p for p in snap.plots if p.harvester_node_id == identity.node_id]
    statuses = sorted(chia_pb2.PlotStatus.Name(p.status) for p in local)
    assert statuses == ["INVALID", "MISSING_KEY", "VALID", "VALID"]     # the recording keeps 2 of its 10 plots
    assert all(p.disk == "/" for p in local)
    # the farmer's harvester (another machine here): its problem files from the paged endpoints
    remote = sorted((chia_pb2.PlotStatus.Name(p.status), p.filename.rsplit("-", 1)[-1][:8])
                    for p in snap.plots if p.harvester_node_id == NODE)
    assert remote == [("DUPLICATE", "275840a3"), ("INVALID", "b7f8efdc"), ("MISSING_KEY", "c3b951d3")]
    assert snap.farmer.running and snap.farmer.full_node_connected and snap.farmer.harvesters_connected == 1
    assert snap.full_node.peak_height == 5 and snap.full_node.synced and snap.full_node.network == "testnet11"
    assert snap.wallet.synced and snap.wallet.height == 5
    assert len(snap.pools) == 0


def test_chia_not_installed_is_reported_quietly(tmp_path, caplog):
    caplog.set_level(logging.INFO)

    async def scenario(collector):
        return await snapshot_until(collector, lambda s: len(s.chia_services) == 5, what="service rows")
    snap = run_with_collector(tmp_path / "no-chia", scenario)
    assert set(services(snap).values()) == {chia_pb2.NOT_INSTALLED}
    assert not snap.harvesters and not snap.plots and not snap.HasField("farmer")
    assert not [r for r in caplog.records if r.levelno >= logging.WARNING]


def test_stopped_services_are_stopped_while_the_farmer_still_reports(chia_root, fake_chia, caplog):
    root, _ = chia_root
    fake_chia.start(("farmer",))
    caplog.set_level(logging.INFO)

    async def scenario(collector):
        return await snapshot_until(collector, lambda s: len(s.chia_services) == 5 and s.harvesters, what="farmer")
    snap = run_with_collector(root, scenario)
    assert services(snap) == {"daemon": chia_pb2.STOPPED, "farmer": chia_pb2.RUNNING, "harvester": chia_pb2.STOPPED,
                               "full_node": chia_pb2.STOPPED, "wallet": chia_pb2.STOPPED}
    assert snap.harvesters[0].plots == 10
    assert not [r for r in caplog.records if r.levelno >= logging.WARNING]


def test_a_hanging_service_never_delays_the_others(chia_root, fake_chia):
    root, _ = chia_root
    for endpoint in ("get_version", "get_plots", "get_plot_directories"):
        fake_chia.routes["harvester"][endpoint] = Hang(4)
    fake_chia.start(("farmer", "harvester"))

    async def scenario(collector):
        started = time.monotonic()
        snap = await snapshot_until(collector, running("farmer"), what="farmer")
        farmer_after = time.monotonic() - started
        failing = await snapshot_until(collector, lambda s: services(s).get("harvester") == chia_pb2.FAILING,
                                       what="harvester failing")
        return snap, farmer_after, failing
    snap, farmer_after, failing = run_with_collector(root, scenario, rpc_timeout=2.0)
    assert "harvester" not in services(snap)          # still waiting for it when the farmer was reported
    assert "no answer in 2 s" in {s.id: s for s in failing.chia_services}["harvester"].error


def test_signage_points_and_answers_become_buckets(chia_root, fake_chia):
    root, _ = chia_root
    fake_chia.start(("daemon", "farmer"))
    clock = Clock()

    async def scenario(collector):
        await snapshot_until(collector, lambda s: s.harvesters and services(s).get("daemon") == chia_pb2.RUNNING, what="ready")
        challenge = "cc" * 32
        for i, index in enumerate([1, 2, 3, 9]):          # 4..8 never arrive
            sp_hash = f"{i:02x}" * 32
            clock.now = T0 + i
            fake_chia.push("new_signage_point", sp_event(sp_hash, challenge, index))
            if index != 3:                                # the harvester misses index 3
                fake_chia.push("new_farming_info", farming_info_event(sp_hash, lookup_us=250_000 * (i + 1)))
        await asyncio.sleep(0.5)
        clock.now = T0 + 120
        await collector.collect(events_pb2.ComputerInfo())
        return collector.take_facts()
    facts = run_with_collector(root, scenario, clock=clock)
    farming = [f.farming for f in facts if f.HasField("farming")]
    signage = [f.signage for f in facts if f.HasField("signage")]
    assert [(b.harvester_node_id, b.sp_expected, b.sp_answered, b.sp_missed, b.sp_late_28s) for b in farming] == [
        (NODE, 9, 3, 6, 0)]             # the 5 the node skipped are the harvester's to miss too
    assert farming[0].lookup_max == 1.0 and farming[0].eligible_plots == 3
    assert [(s.seen, s.skipped) for s in signage] == [(4, 5)]
    assert all(f.timestamp == T0 for f in facts)


def test_harvester_removed_shows_disconnected_at_once_and_it_comes_back(chia_root, fake_chia):
    root, _ = chia_root
    summary = copy.deepcopy(fake_chia.routes["farmer"]["get_harvesters_summary"])
    present = [True]      # the farmer's own list, consistent with its events
    fake_chia.routes["farmer"]["get_harvesters_summary"] = lambda body: summary if present[0] else {
        "harvesters": [], "success": True}
    fake_chia.start(("daemon", "farmer"))

    async def scenario(collector):
        woken = []
        collector.wake = lambda: woken.append(1)
        await snapshot_until(collector, lambda s: s.harvesters and services(s).get("daemon") == chia_pb2.RUNNING, what="ready")
        present[0] = False
        fake_chia.push("harvester_removed", {"node_id": "0x" + NODE, "success": True})
        gone = await snapshot_until(collector, lambda s: not s.harvesters[0].connected, what="disconnected")
        assert woken
        summary["harvesters"][0]["plots"] = 7     # it came back with fewer plots
        present[0] = True
        fake_chia.push("harvester_update", EVENTS["harvester_update"]["data"] | {
            "connection": {"host": "127.0.0.1", "node_id": "0x" + NODE, "port": 1}, "plots": 7})
        back = await snapshot_until(collector, lambda s: s.harvesters[0].connected, what="reconnected")
        return gone, back
    gone, back = run_with_collector(root, scenario)
    assert gone.harvesters[0].disconnected_since > 0 and gone.farmer.harvesters_connected == 0
    assert back.harvesters[0].plots == 7 and back.harvesters[0].disconnected_since == 0


def test_the_full_plot_list_is_fetched_only_when_it_changed(chia_root, fake_chia):
    root, _ = chia_root
    fake_chia.start(("daemon", "harvester"))

    def plot_fetches():
        return fake_chia.calls.count(("harvester", "get_plots"))

    async def scenario(collector):
        await snapshot_until(collector, lambda s: s.plots and services(s).get("daemon") == chia_pb2.RUNNING, what="plots")
        first = plot_fetches()
        polls_before = len(fake_chia.calls)
        unchanged = EVENTS["farming_info"]["data"] | {"total_plots": 2}      # the 2 valid plots we have
        fake_chia.push("farming_info", unchanged, origin="chia_harvester")
        await snapshot_until(collector, lambda s: len(fake_chia.calls) > polls_before + 3, what="more polls")
        unchanged_fetches = plot_fetches()
        fake_chia.push("farming_info", unchanged | {"total_plots": 3}, origin="chia_harvester")
        await snapshot_until(collector, lambda s: plot_fetches() > unchanged_fetches, what="refetch")
        return first, unchanged_fetches
    first, unchanged_fetches = run_with_collector(root, scenario, poll_interval=0.2)
    assert first >= 1 and unchanged_fetches == first


def test_the_daemon_feed_comes_back_after_chia_restarts(chia_root, fake_chia):
    root, _ = chia_root
    fake_chia.start(("daemon",))

    async def scenario(collector):
        await snapshot_until(collector, lambda s: services(s).get("daemon") == chia_pb2.RUNNING, what="registered")
        fake_chia.drop_daemon_clients()
        await snapshot_until(collector, lambda s: services(s).get("daemon") == chia_pb2.STOPPED, what="lost")
        await snapshot_until(collector, lambda s: len(fake_chia.registered) == 2 and services(s).get("daemon") == chia_pb2.RUNNING,
                             what="registered again")
    run_with_collector(root, scenario)
    assert fake_chia.registered == ["metrics", "metrics"]


def test_partials_become_facts_with_their_own_time(chia_root, fake_chia):
    root, _ = chia_root
    now = time.time()
    state = {"p2_singleton_puzzle_hash": "ab" * 32, "pool_config": {"launcher_id": "0x" + "cd" * 32, "pool_url": "https://p"},
             "current_difficulty": 2, "valid_partials_24h": [[int(now) - 500, 2]], "pool_errors_24h": [],
             "stale_partials_24h": []}
    fake_chia.routes["farmer"]["get_pool_state"] = lambda body: {"pool_state": [state], "success": True}
    fake_chia.start(("daemon", "farmer"))

    async def scenario(collector):
        await snapshot_until(collector, lambda s: s.pools and services(s).get("daemon") == chia_pb2.RUNNING, what="pool")
        assert not [f for f in collector.take_facts() if f.HasField("partial")]    # history before we started
        state["valid_partials_24h"] = state["valid_partials_24h"] + [[int(now) - 5, 2], [int(now) - 5, 2]]
        state["stale_partials_24h"] = [[int(now) - 3, 2]]
        fake_chia.push("submitted_partial", {"launcher_id": "cd" * 32})
        facts = []
        deadline = time.monotonic() + 10
        while len(facts) < 3 and time.monotonic() < deadline:
            await asyncio.sleep(0.1)
            facts += [f for f in collector.take_facts() if f.HasField("partial")]
        return facts
    facts = run_with_collector(root, scenario)
    assert sorted((f.partial.accepted, f.partial.error, f.timestamp) for f in facts) == [
        (False, "stale partial", int(now) - 3), (True, "", int(now) - 5), (True, "", int(now) - 5)]
    assert all(f.partial.launcher_id == "cd" * 32 for f in facts)


def test_odd_daemon_events_never_stop_the_feed(chia_root, fake_chia, caplog):
    root, _ = chia_root
    fake_chia.start(("daemon", "farmer"))
    clock = Clock()

    async def scenario(collector):
        await snapshot_until(collector, lambda s: s.harvesters and services(s).get("daemon") == chia_pb2.RUNNING, what="ready")
        fake_chia.push("new_farming_info", {"farming_info": "not a dict"})
        fake_chia.push("new_signage_point", {"signage_point": 5})
        fake_chia.push("something_from_chia_3", {"x": [1, 2]})
        fake_chia.push("harvester_update", {"connection": None})
        fake_chia.push("new_signage_point", sp_event("ee" * 32, "cc" * 32, 4))
        await asyncio.sleep(0.5)
        clock.now = T0 + 120
        await collector.collect(events_pb2.ComputerInfo())
        return collector.take_facts()
    facts = run_with_collector(root, scenario, clock=clock)
    assert [(f.signage.seen, f.signage.skipped) for f in facts if f.HasField("signage")] == [(1, 0)]
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR]


def test_plot_rows_problems_makes_rows_of_problem_plots_only(chia_root, fake_chia):
    root, _ = chia_root
    fake_chia.start(("harvester",))

    async def scenario(collector):
        return await snapshot_until(collector, lambda s: s.plots, what="plot rows")
    snap = run_with_collector(root, scenario, plot_rows="problems")
    assert sorted((chia_pb2.PlotStatus.Name(p.status), p.id.rsplit("/", 1)[-1][:25]) for p in snap.plots) == [
        ("INVALID", "plot-k18-2026-11-28-01-50"), ("MISSING_KEY", "plot-k18-2026-11-28-01-49")]


def test_an_unchanged_plot_list_is_not_rebuilt_for_every_snapshot(chia_root, fake_chia):
    root, _ = chia_root
    fake_chia.start(("harvester",))

    async def scenario(collector):
        await snapshot_until(collector, lambda s: s.plots, what="plot rows")
        again = events_pb2.ComputerInfo()
        return await collector.collect(again), again
    unchanged, again = run_with_collector(root, scenario)
    assert unchanged == {"plots": None} and len(again.plots) == 0


def test_a_failing_farmer_keeps_its_harvesters_a_stopped_one_does_not(chia_root, fake_chia):
    root, _ = chia_root
    summary = fake_chia.routes["farmer"]["get_harvesters_summary"]
    mode = ["ok"]

    def answer(body):
        return {"success": False, "error": "busy"} if mode[0] == "failing" else summary
    fake_chia.routes["farmer"]["get_harvesters_summary"] = answer
    fake_chia.start(("farmer",))

    async def scenario(collector):
        await snapshot_until(collector, lambda s: s.harvesters, what="harvester")
        mode[0] = "failing"
        failing = await snapshot_until(collector, lambda s: services(s)["farmer"] == chia_pb2.FAILING, what="failing")
        fake_chia.stop()
        stopped = await snapshot_until(collector, lambda s: services(s)["farmer"] == chia_pb2.STOPPED, what="stopped")
        return failing, stopped
    failing, stopped = run_with_collector(root, scenario, poll_interval=0.2)
    assert [h.connected for h in failing.harvesters] == [True]
    assert [h.connected for h in stopped.harvesters] == [False] and not stopped.HasField("farmer")


def test_problem_files_are_read_page_by_page_only_when_counts_change(chia_root, fake_chia):
    root, _ = chia_root
    files = [f"/mnt/disk{i % 7}/plot-k32-{i:064x}.plot" for i in range(1200)]
    summary = copy.deepcopy(fake_chia.routes["farmer"]["get_harvesters_summary"])
    summary["harvesters"][0].update(failed_to_open_filenames=len(files), no_key_filenames=0, duplicates=0)

    def invalid(body):   # chia's paging: page_count pages of page_size
        size = body["page_size"]
        return {"node_id": NODE, "page": body["page"], "page_count": -(-len(files) // size), "total_count": len(files),
                "plots": files[body["page"] * size:(body["page"] + 1) * size], "success": True}
    fake_chia.routes["farmer"]["get_harvesters_summary"] = lambda body: summary
    fake_chia.routes["farmer"]["get_harvester_plots_invalid"] = invalid
    fake_chia.start(("farmer",))

    async def scenario(collector):
        snap = await snapshot_until(collector, lambda s: len(s.plots) == 1200, what="1200 invalid rows")
        pages = fake_chia.calls.count(("farmer", "get_harvester_plots_invalid"))
        polls = fake_chia.calls.count(("farmer", "get_harvesters_summary"))
        await snapshot_until(collector, lambda s: fake_chia.calls.count(("farmer", "get_harvesters_summary")) > polls + 3,
                             what="more polls")
        return snap, pages, fake_chia.calls.count(("farmer", "get_harvester_plots_invalid"))
    snap, pages, pages_later = run_with_collector(root, scenario, poll_interval=0.2)
    assert sorted(p.filename for p in snap.plots) == sorted(files)
    assert {chia_pb2.PlotStatus.Name(p.status) for p in snap.plots} == {"INVALID"}
    assert pages == 3 and pages_later == 3       # 500 a page; not again while the counts stay
