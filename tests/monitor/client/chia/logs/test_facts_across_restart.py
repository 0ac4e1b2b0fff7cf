"""Proofs in debug.log survive a client restart (issue 14, point 10): the log's position is saved only
once the facts of its lines are in the outbox, and a proof counts from the log when no better source
heard it at the time it happened (not: when the line is read). Real files; the daemon feed of the
second test is the fake chia daemon."""
from __future__ import annotations

import asyncio
import time
from pathlib import Path

from monitor.client.chia.logs.collector import ChiaLogCollector
from monitor.client.chia.settings import ChiaSettings
from monitor.client.chia.setup import chia_collectors
from protocol import chia_pb2
from tests.helpers.waiting import wait_until_async


def proof_line(at: float, challenge: str) -> bytes:
    """A real 2.7.5 harvester line that found one proof, at local time `at`."""
    stamp = time.strftime("%Y-%m-%dT%H:%M:%S", time.localtime(at)) + f".{int(at * 1000) % 1000:03d}"
    return (f"{stamp} 2.7.5 harvester chia.harvester.harvester: INFO     challenge_hash: {challenge} ...1 plots were "
            f"eligible for farming challengeFound 1 V1 proofs and 0 V2 qualities. Time: 0.01189 s. Total 10 plots\n").encode()


def challenges(facts) -> list[str]:
    return sorted(f.proof.signage_point for f in facts if f.HasField("proof"))


async def facts_of_a_run(log: Path, outbox: dict, write=None, stored: bool = True) -> list:
    """Start a collector as the client does, let it read what `write` adds, take its facts; `stored`
    says whether they reached the outbox (`outbox` keeps the checkpoint stored with them) before the
    client went (False: a kill -9 or SIGTERM before the snapshot)."""
    collector = ChiaLogCollector(log, None)
    collector.follower.min_wait = collector.follower.max_wait = 0.02
    if "chia_log" in outbox:
        collector.restore(outbox["chia_log"])
    await collector.start()
    try:
        await wait_until_async(lambda: collector.follower.position() is not None, 10, "the log opened")
        expected = write() if write else 0
        await wait_until_async(lambda: len(collector._facts) >= expected, 10, f"{expected} proofs read")
        await asyncio.sleep(0.1)                  # more would be a replay
        facts = collector.take_facts()
        checkpoint = collector.checkpoint()
        if stored and checkpoint is not None:
            outbox["chia_log"] = checkpoint       # in the transaction that stores the facts
        return facts
    finally:
        await collector.stop()


def test_proofs_read_but_not_stored_at_a_kill_are_read_again_and_stored_ones_never(tmp_path):
    log, outbox = tmp_path / "debug.log", {}
    log.write_bytes(b"")
    now = time.time()

    def write(*names: str):
        def append() -> int:
            with log.open("ab") as file:
                for i, name in enumerate(names):
                    file.write(proof_line(now + i, name))
            return len(names)
        return append

    asyncio.run(facts_of_a_run(log, outbox))                                # the first run takes its position
    lost = asyncio.run(facts_of_a_run(log, outbox, write("aaaaaaaaa1", "aaaaaaaaa2"), stored=False))
    assert challenges(lost) == ["aaaaaaaaa1", "aaaaaaaaa2"]                  # in memory when the client went
    again = asyncio.run(facts_of_a_run(log, outbox, write("bbbbbbbbb1")))
    assert challenges(again) == ["aaaaaaaaa1", "aaaaaaaaa2", "bbbbbbbbb1"]
    assert challenges(asyncio.run(facts_of_a_run(log, outbox))) == []       # stored: never again


def test_a_proof_logged_before_the_daemon_feed_came_counts_one_logged_after_does_not(chia_root, fake_chia, tmp_path):
    """The restart case: the lines written while the client was down are read after its daemon feed
    is back; nobody heard those proofs, so the log's lines are their only source."""
    root, _ = chia_root
    (root / "log").mkdir()
    (root / "log" / "debug.log").write_bytes(b"")
    fake_chia.start(("daemon",))

    async def scenario() -> list:
        chia, logs = chia_collectors(ChiaSettings(root=str(root), poll_interval=30.0), tmp_path / "state")
        await chia.start()
        await logs.start()
        try:
            await wait_until_async(lambda: chia.daemon.connected, 10, "the daemon feed")
            await wait_until_async(lambda: logs.follower.position() is not None, 10, "the log opened")
            registered = chia.daemon.heard.periods[-1][0]
            with (root / "log" / "debug.log").open("ab") as file:
                file.write(proof_line(registered - 3, "cccccccc01"))           # while nobody listened
                file.write(proof_line(registered + 0.5, "cccccccc02"))         # the feed reported this one
            await wait_until_async(lambda: logs.follower.position().offset > 0, 10, "the lines read")
            return logs.take_facts()
        finally:
            await logs.stop()
            await chia.stop()

    assert challenges(asyncio.run(scenario())) == ["cccccccc01"]


def test_lines_read_again_after_a_kill_are_judged_by_what_the_feed_had_stored(chia_root, tmp_path):
    """The feed's proofs went out with the last snapshot, its log lines were read only after it: a
    restart reads them again, and must not count them a second time. A proof after that snapshot
    was lost with the kill; its line is its only source."""
    root, _ = chia_root
    log = root / "log" / "debug.log"
    log.parent.mkdir()
    log.write_bytes(b"")
    now = time.time()
    chia, logs = chia_collectors(ChiaSettings(root=str(root)), tmp_path / "state")
    chia.daemon.heard.begin(now - 60)              # registered a minute ago
    assert logs.follower.poll() == b""             # first start: from the end
    chia.add_fact("proof", chia_pb2.Proof(signage_point="feed01"), now - 1)    # the farmer's event
    logs.take_facts()
    stored = logs.checkpoint()                     # a snapshot stored the feed's proof, and this
    with log.open("ab") as file:                   # its line, read late: after that snapshot
        file.write(proof_line(now - 1, "dddddddd01"))
    logs.handle(logs.follower.poll())
    assert logs.take_facts() == []                 # the feed reported it; killed before the next snapshot
    with log.open("ab") as file:
        file.write(proof_line(time.time() + 1, "dddddddd02"))
    logs.follower.close()

    chia, logs = chia_collectors(ChiaSettings(root=str(root)), tmp_path / "state")   # restarted, no feed yet
    logs.restore(stored)
    logs.handle(logs.follower.poll())
    assert challenges(logs.take_facts()) == ["dddddddd02"]
    logs.follower.close()
