"""The wallet's transactions in the snapshot (topic wallet_transaction), from fake chia answering
get_wallets / get_transactions in chia 2.7.5's shape: a wallet's first read since the client
started is marked as history (the bot's baseline), what comes later is not, and a restarted client
marks its own first read with its own start."""
from __future__ import annotations

import copy

from monitor.client.chia.collector import ChiaCollector
from monitor.client.collector import kept_of
from protocol import events_pb2
from tests.helpers.alert_harness import Harness, text_of
from tests.helpers.backbone import query, write_config
from tests.helpers.fake_chia import wallet_transactions
from tests.helpers.waiting import wait_until
from tests.monitor.client.chia.test_chia_collector import Clock, run_with_collector, snapshot_until

FINGERPRINT = 3126412521


def rows(snapshot) -> dict[str, tuple[int, int, float]]:
    return {t.id: (t.type, t.amount, t.history_session) for t in snapshot.wallet_transactions}


def test_first_read_is_history_later_ones_are_news_and_a_restart_reads_history_again(chia_root, fake_chia):
    root, _ = chia_root
    wallets, history = wallet_transactions()
    answer = {"transactions": copy.deepcopy(history), "wallet_id": 1, "success": True}
    fake_chia.routes["wallet"]["get_wallets"] = wallets
    fake_chia.routes["wallet"]["get_transactions"] = lambda body: answer if body.get("wallet_id") == 1 else {"success": False}
    fake_chia.start()
    ids = [t["name"][2:] for t in history]
    new = copy.deepcopy(history[2]) | {"name": "0x" + "ab" * 32, "amount": 7 * 10**11, "confirmed_at_height": 1300}

    async def first_start(collector: ChiaCollector):
        first = await snapshot_until(collector, lambda s: len(s.wallet_transactions) == 4, what="the wallet's history")
        answer["transactions"].insert(0, new)           # a pool payout arrives
        collector._wakeups["wallet"].set()
        later = await snapshot_until(collector, lambda s: len(s.wallet_transactions) == 5, what="the new transaction")
        return first, later

    first, later = run_with_collector(root, first_start, clock=Clock(1000.0))
    assert rows(first) == {ids[0]: (3, 250_000_000_000, 1000.0), ids[1]: (2, 1_750_000_000_000, 1000.0),
                           ids[2]: (0, 123_456_789, 1000.0), ids[3]: (1, 1_000_000_000, 1000.0)}
    pending = next(t for t in first.wallet_transactions if t.id == ids[3])
    assert (pending.confirmed, pending.fee_amount, pending.fingerprint, pending.wallet_id) == (False, 5_000_000, FINGERPRINT, 1)
    assert pending.to_address.startswith("txch1")
    assert rows(later)["ab" * 32] == (0, 7 * 10**11, 0.0), "a transaction after the first read is news"
    assert {k: v for k, v in rows(later).items() if k != "ab" * 32} == rows(first), "known rows do not change"

    async def restart(collector: ChiaCollector):
        return await snapshot_until(collector, lambda s: len(s.wallet_transactions) == 5, what="the history after a restart")

    again = run_with_collector(root, restart, clock=Clock(2000.0))
    assert {v[2] for v in rows(again).values()} == {2000.0}, "a restarted client's first read is its history"


def test_no_transactions_from_a_wallet_without_their_rpc_or_still_syncing(chia_root, fake_chia):
    root, _ = chia_root
    fake_chia.start()              # the recorded routes have no get_wallets: chia's 404

    async def scenario(collector: ChiaCollector):
        return await snapshot_until(collector, lambda s: s.wallet.height, what="the wallet")

    assert list(run_with_collector(root, scenario).wallet_transactions) == []
    # a syncing wallet finds its old transactions one by one: none is read before it is synced
    wallets, history = wallet_transactions()
    fake_chia.routes["wallet"].update(get_wallets=wallets, get_transactions={"transactions": history, "success": True},
                                      get_sync_status={"synced": False, "syncing": True, "success": True})
    assert list(run_with_collector(root, scenario).wallet_transactions) == []


def test_transactions_keep_their_last_state_until_the_wallet_answered(chia_root):
    root, _ = chia_root                # nothing listens: the wallet has not answered since the start

    async def scenario(collector: ChiaCollector):
        return kept_of(await collector.collect(events_pb2.ComputerInfo()))

    kept = run_with_collector(root, scenario)
    assert "wallet_transactions" in kept and kept["wallet_transactions"] is None, \
        "unanswered, the server's rows must stay (not be deleted as gone)"


def wallet_news(replies) -> list[str]:
    """The wallet's lines among the alerts (the recorded farm has others: an unreadable plot)."""
    return [line for r in replies for line in text_of(r).splitlines() if line.startswith(("Coins ", "Block won"))]


def test_end_to_end_a_payout_is_announced_once_across_a_client_kill_9(farm, server, chia_root, fake_chia, tmp_path):
    """fake chia -> `teafarm client` -> `teafarm server` -> the alert engine: the history announces
    nothing, a payout once, and a payout that came while the client was dead once, nothing again."""
    root, _ = chia_root
    write_config(tmp_path, farm.port, chia={"enabled": True, "root": str(root), "poll_interval": 0.5, "debug_log": "off"})
    wallets, history = wallet_transactions()
    answer = {"transactions": copy.deepcopy(history), "wallet_id": 1, "success": True}
    fake_chia.routes["wallet"]["get_wallets"] = wallets
    fake_chia.routes["wallet"]["get_transactions"] = lambda body: answer
    fake_chia.start()
    harness = Harness(farm.database, tmp_path)          # the bot, from before the first client start

    def stored() -> int:
        return query(farm.database, "SELECT count(*) FROM wallet_transaction")[0][0]

    def payout(number: int, xch: int) -> None:
        answer["transactions"].insert(0, copy.deepcopy(history[2]) | {"name": f"0x{number:064x}", "amount": xch * 10**12})

    client = farm.start_client()
    try:
        wait_until(lambda: stored() == 4, 30, "the wallet's history")
        assert wallet_news(harness.run()) == [], "the history is a baseline"
        payout(1, 2)
        wait_until(lambda: stored() == 5, 30, "the payout")
        assert wallet_news(harness.run()) == ["Coins received: 2 XCH"]
        client.kill9()
        payout(2, 3)                                    # while the client is dead
        client = farm.start_client()
        wait_until(lambda: stored() == 6, 30, "the payout made while the client was down")
        assert wallet_news(harness.run()) == ["Coins received: 3 XCH"]
    finally:
        client.stop()
        harness.close()
    assert "Traceback" not in client.log_text()
