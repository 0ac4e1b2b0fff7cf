"""The chia log parser on real 2.7.5 lines (tests/data/chia, recorded from real chia services) and
on faithful reconstructions of the older line shapes in the team's chia reference:
before 1.0.4 (`src.` loggers), 1.x-2.4.3, 2.4.4+ (version token), 2.5.7+ (`challengeFound`)."""
from __future__ import annotations

import time
from collections import Counter

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from monitor.client.chia.logs import events as ev
from monitor.client.chia.logs.parser import ChiaLogParser
from tests.helpers.paths import DATA as TEST_DATA

DATA = TEST_DATA / "chia"
REAL = DATA / "debug-2.7.5-excerpt.log"
H64 = "6348b90104bd04ffcd68bf8a1606488cd768ac5d4303b88655778017fcf1723c"
CC = "3c2d4e5f60718293a4b5c6d7e8f90a1b2c3d4e5f6a7b8c9d0e1f2a3b4c5d6e7f"
RC = "9f8e7d6c5b4a39281706f5e4d3c2b1a09f8e7d6c5b4a39281706f5e4d3c2b1a0"


def local(stamp: str) -> float:
    """What a chia timestamp means: local time, no zone."""
    return time.mktime(time.strptime(stamp[:19], "%Y-%m-%dT%H:%M:%S")) + float("0" + stamp[19:])


def parse(line: str) -> ev.LogEvent | None:
    return ChiaLogParser().parse_line(line)


# ---- real 2.7.5 lines ----------------------------------------------------------------------

def test_real_excerpt_kinds_and_no_near_misses() -> None:
    parser = ChiaLogParser()
    events = parser.parse(REAL.read_bytes())
    counts = Counter(event.kind for event in events)
    assert counts["harvester_answer"] == 28
    assert counts["plot_refresh"] == 12
    assert counts["harvester_connected"] == 2
    assert counts["farming_info"] == 3
    assert counts["farmer_signage_point"] == 4
    assert counts["connection_closed"] == 5
    assert counts["peer_disconnected"] == 3          # the harvester's own and the farmer's full node
    assert [e.node_id for e in events if isinstance(e, ev.HarvesterDisconnected)] == [H64, H64]
    assert counts["node_peak"] == 7
    assert (counts["unreadable_plot"], counts["duplicate_plot"], counts["plot_key_missing"]) == (1, 1, 1)
    assert sum(e.proofs for e in events if isinstance(e, ev.HarvesterAnswer)) == 6
    assert not parser.near_misses


def test_real_events_come_in_line_order() -> None:
    lines = REAL.read_text().splitlines()
    block = "\n".join(lines[100:200]) + "\n"
    events = ChiaLogParser().parse(block.encode())
    recognised = [line for line in lines[100:200] if parse(line) is not None]
    assert [e.time for e in events] == [parse(line).time for line in recognised]


def test_real_harvester_answer_2_7_5() -> None:
    line = ("2026-11-28T01:47:53.323 2.7.5 harvester chia.harvester.harvester: INFO     challenge_hash: 87b15ee553 "
            "...1 plots were eligible for farming challengeFound 1 V1 proofs and 0 V2 qualities. Time: 0.07103 s. "
            "Total 10 plots")
    assert parse(line) == ev.HarvesterAnswer(local("2026-11-28T01:47:53.323"), "harvester", eligible=1,
                                             challenge="87b15ee553", proofs=1, v2_qualities=0,
                                             lookup_seconds=0.07103, total_plots=10)


def test_real_farmer_debug_lines_carry_harvester_node_id() -> None:
    handshake = parse(f"2026-11-28T01:48:36.322 2.7.5 farmer farmer_server              : DEBUG    "
                      f"-> harvester_handshake to peer 127.0.0.1 {H64}")
    info = parse(f"2026-11-28T01:49:57.339 2.7.5 farmer farmer_server              : DEBUG    "
                 f"<- farming_info from peer {H64} 127.0.0.1")
    assert handshake == ev.HarvesterConnected(local("2026-11-28T01:48:36.322"), "farmer", node_id=H64, ip="127.0.0.1")
    assert info == ev.FarmingInfo(local("2026-11-28T01:49:57.339"), "farmer", node_id=H64, ip="127.0.0.1")


def test_real_harvester_side_handshake_is_not_a_harvester_joining() -> None:
    line = (f"2026-11-28T01:48:36.326 2.7.5 harvester harvester_server        : DEBUG    "
            f"<- harvester_handshake from peer {H64} 127.0.0.1")
    assert parse(line) is None


def test_real_connection_lines() -> None:
    closed_line = (f"2026-11-28T01:47:15.603 2.7.5 farmer farmer_server              : INFO     "
                   f"Connection closed: 127.0.0.1, node id: {H64}\n")
    gone_line = ("2026-11-28T01:47:15.603 2.7.5 farmer chia.farmer.farmer         : INFO     "
                 "peer disconnected PeerInfo(_ip=IPv4Address('127.0.0.1'), _port={port})\n")
    closed, gone = ChiaLogParser().parse((closed_line + gone_line.format(port=0)).encode())
    assert gone == ev.HarvesterDisconnected(gone.time, "farmer", node_id=H64, ip="127.0.0.1")
    node_gone = parse(gone_line.format(port=58444))
    assert node_gone == ev.PeerDisconnected(gone.time, "farmer", ip="127.0.0.1", port=58444)
    assert parse(gone_line.format(port=0)) == ev.HarvesterDisconnected(gone.time, "farmer", node_id="", ip="127.0.0.1")
    joined = parse("2026-11-28T01:44:03.030 2.7.5 harvester harvester_server        : INFO     "
                   "Connected with farmer PeerInfo(_ip=IPv4Address('127.0.0.1'), _port=8447)")
    assert closed == ev.ConnectionClosed(closed.time, "farmer", ip="127.0.0.1", node_id=H64)
    assert joined == ev.PeerConnected(joined.time, "harvester", peer_type="farmer", ip="127.0.0.1", port=8447)


def test_real_plot_problems() -> None:
    events = [e for e in ChiaLogParser().parse(REAL.read_bytes())
              if e.kind in ("unreadable_plot", "duplicate_plot", "plot_key_missing")]
    unreadable, = [e for e in events if isinstance(e, ev.UnreadablePlot)]
    assert unreadable.file.endswith("b7f8efdcff09f814caa600cc95cd92b9704299adc2513dad02180bf90d62006f.plot")
    assert unreadable.error == "badbit or failbit after reading size 3 at position 3639096"
    duplicate, = [e for e in events if isinstance(e, ev.DuplicatePlot)]
    assert duplicate.directories == "['/srv/chia/plots', '/srv/chia/plots3']"


def test_real_plot_refresh_done() -> None:
    line = ("2026-11-28T01:45:47.277 2.7.5 harvester chia.harvester.harvester: INFO     _plot_refresh_callback: "
            "event done, loaded 8, removed 0, processed 10, remaining 0, duration: 0.03 seconds, total plots: 10")
    assert parse(line) == ev.PlotRefresh(local("2026-11-28T01:45:47.277"), "harvester", event="done", loaded=8,
                                         removed=0, processed=10, remaining=0, duration=0.03, total_plots=10)


# ---- reconstructions of older shapes ---------------------------------------------------------

OLD_ANSWER = "3 plots were eligible for farming c014e359c1... Found 1 proofs. Time: 1.72367 s. Total 3135 plots"


@pytest.mark.parametrize("line", [
    # before 1.0.4: `src.` logger names
    f"2021-03-19T10:15:32.123 harvester src.harvester.harvester: INFO     {OLD_ANSWER}",
    # 1.x .. 2.4.3
    f"2023-02-05T10:15:32.123 harvester chia.harvester.harvester: INFO     {OLD_ANSWER}",
    # 2.4.4 .. 2.5.6: the version token after the timestamp
    f"2023-02-05T10:15:32.123 2.4.4 harvester chia.harvester.harvester: INFO     {OLD_ANSWER}",
])
def test_harvester_answer_before_2_5_7(line: str) -> None:
    event = parse(line)
    assert isinstance(event, ev.HarvesterAnswer)
    assert (event.eligible, event.challenge, event.proofs, event.v2_qualities, event.lookup_seconds,
            event.total_plots) == (3, "c014e359c1", 1, 0, 1.72367, 3135)
    assert event.service == "harvester"
    assert event.time == local(line[:23])


@pytest.mark.parametrize("prefix", [
    "2021-03-19T10:15:32.123 full_node src.full_node.full_node: INFO     ",
    "2023-02-05T10:15:32.123 full_node chia.full_node.full_node: INFO     ",
    "2025-01-10T08:00:00.123 2.4.4 full_node chia.full_node.full_node: INFO     ",
])
def test_full_node_lines_every_version(prefix: str) -> None:
    sp = parse(f"{prefix}⏲️  Finished signage point 19/64: CC: {CC} RC: {RC} ")
    assert sp == ev.SignagePointFinished(local(prefix[:23]), "full_node", index=19, of=64, cc=CC, rc=RC)
    sub_slot = parse(f"{prefix}⏲️  Finished sub slot, SP 64/64, {CC}, number of sub-slots: 2, RC hash: {RC}, Deficit 16")
    assert sub_slot == ev.SubSlotFinished(sp.time, "full_node", cc=CC, sub_slots=2, rc=RC, deficit=16)
    block = parse(f"{prefix}🍀 ️Farmed unfinished_block {CC}, SP: 49, validation time: 0.0281 seconds, "
                  f"pre_validation time 0.0102, cost: 3812756, percent full: 0.035%")
    assert block == ev.BlockFarmed(sp.time, "full_node", header_hash=CC, sp_index=49)


def test_hashes_with_0x_are_read_without_it() -> None:
    sp = parse(f"2023-02-05T10:15:32.123 full_node chia.full_node.full_node: INFO     "
               f"⏲️  Finished signage point 1/64: CC: 0x{CC} RC: 0x{RC}")
    assert (sp.cc, sp.rc) == (CC, RC)


def test_wallet_peak() -> None:
    line = "2023-02-05T10:15:41.123 wallet chia.wallet.wallet_blockchain: INFO     Peak set to: 3207808 timestamp: 1675618141"
    assert parse(line) == ev.WalletPeak(local(line[:23]), "wallet", height=3207808, timestamp=1675618141)


def test_slow_lookup_and_io_error_1_x() -> None:
    plot = "/mnt/hdd1/plot-k32-2021-05-01-10-00-" + CC + ".plot"
    slow = parse(f"2021-06-01T12:00:00.000 harvester chia.harvester.harvester: WARNING  Looking up qualities on "
                 f"{plot} took: 7.12345. This should be below 5 seconds to minimize risk of losing rewards.")
    assert slow == ev.SlowLookup(slow.time, "harvester", file=plot, seconds=7.12345)
    broken = parse(f"2021-06-01T12:00:01.000 harvester chia.harvester.harvester: ERROR    Error plot file {plot} "
                   f"may no longer exist [Errno 5] Input/output error")
    assert broken == ev.UnreadablePlot(broken.time, "harvester", file=plot, error="[Errno 5] Input/output error")


def test_plots_loaded_before_1_2() -> None:
    line = ("2021-05-01T10:00:00.000 harvester chia.harvester.harvester: INFO     Loaded a total of 48 plots of "
            "size 4.7517 TiB, in 0.53 seconds")
    assert parse(line) == ev.PlotsLoaded(local(line[:23]), "harvester", total_plots=48, size="4.7517 TiB", duration=0.53)


# ---- what does not parse -----------------------------------------------------------------------

def test_a_changed_line_is_a_near_miss_not_an_event() -> None:
    parser = ChiaLogParser()
    line = ("2030-01-01T00:00:00.000 3.0.0 harvester chia.harvester.harvester: INFO     2 plots were eligible for "
            "farming abc; proofs=1 lookup=0.1s total=10")
    assert parser.parse(line.encode()) == []
    assert parser.near_misses == {"harvester_answer": 1}


def test_lines_without_a_usable_timestamp_are_skipped() -> None:
    tail = ("harvester chia.harvester.harvester: INFO     challenge_hash: 87b15ee553 ...0 plots were eligible for "
            "farming challengeFound 0 V1 proofs and 0 V2 qualities. Time: 0.00095 s. Total 10 plots")
    assert parse(f"... 2.7.5 {tail}") is None
    assert parse(f"2026-13-99Txx:00:00.000 2.7.5 {tail}") is None


def test_daemon_websocket_dump_mentioning_farming_info_is_not_an_event() -> None:
    line = ("2026-11-28T01:49:57.341 2.7.5 daemon chia.daemon.server         : DEBUG    Received message: WSMessage("
            "type=<WSMsgType.TEXT: 1>, data={'ack': False, 'command': 'farming_info', 'data': {'challenge_hash': "
            "'8527661cae922d3e6f861b8f51bc56ac54c7132ea138bbff9342c55c6efc0278', 'eligible_plots': 0 …[truncated]")
    assert parse(line) is None


# ---- never raises --------------------------------------------------------------------------

REAL_LINES = [line for line in REAL.read_text().splitlines() if line]


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=400))
def test_random_text_never_raises(text: str) -> None:
    ChiaLogParser().parse(text.encode("utf-8", "surrogatepass"))


@settings(max_examples=300, deadline=None)
@given(st.sampled_from(REAL_LINES + [f"2021-03-19T10:15:32.123 harvester src.harvester.harvester: INFO     {OLD_ANSWER}"]),
       st.integers(min_value=0, max_value=400), st.binary(max_size=20))
def test_truncated_and_garbled_real_lines_never_raise(line: str, cut: int, garbage: bytes) -> None:
    data = line.encode()
    parser = ChiaLogParser()
    parser.parse(data[:cut])
    parser.parse(data[:cut] + garbage + data[cut:])
    parser.parse(garbage + b"\n" + data[cut:])


@settings(max_examples=200, deadline=None)
@given(st.binary(max_size=600))
def test_random_bytes_never_raise(data: bytes) -> None:
    ChiaLogParser().parse(data)
