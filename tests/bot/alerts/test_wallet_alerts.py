"""Wallet alerts (bot.alerts.rules.wallet) over transactions sent through the real server: a wallet's
first history is a baseline, every transaction id is announced once whichever machine, wallet or
client start reports it, a block won is celebrated once for its two reward coins, and a bot.db
started on an existing farm announces none of the transactions the store already had."""
from __future__ import annotations

from tests.helpers.alert_harness import text_of, titles
from tests.helpers.backbone import event
from tests.helpers.farm import ADD, DELETE, UPDATE

FINGERPRINT, OTHER_KEY = 3126412521, 1111111111


def tx(number: int, kind: int, mojo: int, session: float = 0.0, event_type: int = ADD, fingerprint: int = FINGERPRINT,
       **fields):
    fields.setdefault("confirmed", True)
    return event("wallet_transaction", event_type, id=f"{number:064x}", wallet_id=1, fingerprint=fingerprint, type=kind,
                 amount=mojo, history_session=session, **fields)


def test_wallet_alerts_from_first_history_to_restarts(server, harness, tmp_path):
    h = harness()
    # the first read of the farm's wallet: its history announces nothing
    server.send("farmer", tx(1, 3, 250 * 10**9, session=100.0, confirmed_at_height=10),
                tx(2, 2, 1750 * 10**9, session=100.0, confirmed_at_height=10), tx(3, 0, 10**12, session=100.0))
    assert h.run() == []

    # a pool payout, then a block won (farmer and pool reward: one celebration), then coins sent
    server.send("farmer", tx(4, 0, 2 * 10**11))
    server.send("farmer", tx(5, 3, 250 * 10**9, confirmed_at_height=500), tx(6, 2, 1750 * 10**9, confirmed_at_height=500))
    server.send("farmer", tx(7, 1, 3 * 10**12, confirmed=False, fee_amount=10**8, to_address="xch1elsewhere"))
    sent = h.run()
    text = "\n".join(text_of(r) for r in sent)
    assert text.count("Coins received: 0.2 XCH") == 1
    assert text.count("Block won!") == 1 and "the farm won block 500: farmer reward of 0.25 XCH received" in text
    assert "Coins sent: 3 XCH" in text and "transfer of 3 XCH to xch1elsewhere, fee 0.0001 XCH (pending)" in text
    assert titles(sent) == ["farmer: 3 alerts"]

    # its confirmation, a wallet restarted under a running client, a client restart's first read:
    # all known ids, nothing again; what came while the client was down is news
    server.send("farmer", tx(7, 1, 3 * 10**12, event_type=UPDATE, confirmed_at_height=501, to_address="xch1elsewhere"))
    server.send("farmer", tx(1, 0, 0, event_type=DELETE), tx(1, 3, 250 * 10**9, session=200.0, confirmed_at_height=10))
    server.send("farmer", tx(4, 0, 2 * 10**11, session=200.0), tx(8, 0, 5 * 10**11, session=200.0))
    assert [t for t in titles(h.run())] == ["Coins received: 0.5 XCH"]

    # the same wallet seen from a second machine: known ids stay quiet; another key's history is a baseline
    server.send("laptop", tx(8, 0, 5 * 10**11, session=300.0), tx(9, 0, 10**12, session=300.0, fingerprint=OTHER_KEY))
    assert h.run() == []
    h.restart()
    assert h.run() == [], "a restarted bot sends nothing again"

    # a bot.db started on this farm: the stored transactions are known, their wallets have a baseline
    fresh = harness()
    server.send("farmer", tx(3, 0, 0, event_type=DELETE), tx(3, 0, 10**12, session=400.0), tx(10, 0, 4 * 10**12, session=400.0))
    assert titles(fresh.run()) == ["Coins received: 4 XCH"]

    # the largest amount the store keeps, in whole coins (not "9.22337e+06 XCH")
    server.send("farmer", tx(11, 0, 2**63 - 1))
    assert titles(fresh.run()) == ["Coins received: 9,223,372 XCH"]
