"""The farm's wallet: coins received (pool payouts, transfers), coins sent, and a celebration when a
block is won (its farming rewards arrive), from the transactions the clients report (topic
wallet_transaction, classified by chia's TransactionType).

Each transaction id is announced at most once, whichever machine or wallet reports it and however
often a client restarts (the ids seen are kept in the rule's memory). A wallet's first history is
a baseline: the rows of the first read of a wallet the rule never heard of announce nothing, and
later first reads (a client restarting) announce only the ids it does not know.
"""
from __future__ import annotations

from bot.alerts.rules.base import Finding, Rule, RuleContext
from bot.alerts.transition import Transition
from bot.commands.format import xch

SEEN = "wallet_tx"              # memory: transaction id -> 1 (machine "": one id farm-wide)
WALLETS = "wallet_baseline"     # memory: wallet -> the client start whose first read was its baseline
BLOCKS = "wallet_block"         # memory: height -> 1, one celebration per block (two reward coins)

INCOMING = {0: "transfer or pool payout", 4: "trade", 6: "clawback received"}
OUTGOING = {1: "transfer", 5: "trade", 8: "clawback"}
REWARDS = {2: "pool reward", 3: "farmer reward"}    # COINBASE_REWARD, FEE_REWARD: a block won


class WalletActivity(Rule):
    names = ("block_won", "coins_received", "coins_sent")
    topics = ("wallet_transaction",)

    def check(self, t: Transition, ctx: RuleContext) -> list[Finding]:
        if not t.added:                 # a confirmation or a restart's re-read: the id was judged when it came
            return []
        tx = t.after
        if ctx.memory.get(SEEN, "", t.id):
            return []
        ctx.memory.put(SEEN, "", t.id, 1)
        if _baseline(t, ctx):
            return []
        kind, amount = tx.get("type") or 0, xch(tx.get("amount"))
        if kind in REWARDS:
            height = str(tx.get("confirmed_at_height") or 0)
            if ctx.memory.get(BLOCKS, "", height):
                return []
            ctx.memory.put(BLOCKS, "", height, 1)
            return [self._news(t, "block_won", "Block won!",
                               f"the farm won block {height}: {REWARDS[kind]} of {amount} received")]
        if kind in INCOMING:
            return [self._news(t, "coins_received", f"Coins received: {amount}", f"{INCOMING[kind]} of {amount}")]
        if kind in OUTGOING:
            state = "confirmed" if tx.get("confirmed") else "pending"
            fee = f", fee {xch(tx.get('fee_amount'))}" if tx.get("fee_amount") else ""
            return [self._news(t, "coins_sent", f"Coins sent: {amount}",
                               f"{OUTGOING[kind]} of {amount} to {tx.get('to_address') or '?'}{fee} ({state})")]
        return []

    @staticmethod
    def _news(t: Transition, name: str, title: str, detail: str) -> Finding:
        return Finding(name, t.machine, t.id, True, title, f"{detail}; transaction {t.id[:16]}", one_shot=True,
                       source_time=t.server_time)


def _baseline(t: Transition, ctx: RuleContext) -> bool:
    """Is this row part of a wallet's first history (announce nothing)? The first read of a wallet
    the rule never heard of sets its baseline; a row that came later (history_session 0) or in a
    later client start's first read is news."""
    wallet = _wallet(t.after.get("fingerprint"), t.machine, t.after.get("wallet_id"))
    session = t.after.get("history_session") or 0.0
    baseline = ctx.memory.get(WALLETS, "", wallet)
    if baseline is None:
        ctx.memory.put(WALLETS, "", wallet, session)
        return bool(session)
    return bool(session) and session == baseline


def seed(ctx: RuleContext) -> None:
    """A bot.db started on an existing farm: the transactions stored so far are known, their wallets
    have their baseline."""
    for r in ctx.reader.query("SELECT machine, id, fingerprint, wallet_id FROM wallet_transaction"):
        ctx.memory.put(SEEN, "", r["id"], 1)
        ctx.memory.put(WALLETS, "", _wallet(r["fingerprint"], r["machine"], r["wallet_id"]), -1.0)


def _wallet(fingerprint: int | None, machine: str, wallet_id: int | None) -> str:
    """A wallet's name in the rule's memory: its key's fingerprint (else the machine) and its id."""
    return f"{fingerprint or machine}/{wallet_id or 0}"
