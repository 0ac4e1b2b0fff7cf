"""The wallet: sync state, height, farmed amounts, and the blocks it says were won, each new one a
fact (from its first count on, the blocks farmed are its facts, not debug.log's); and the newest
transactions of each XCH wallet (topic wallet_transaction), whose new ones the bot announces."""
from __future__ import annotations

from typing import Any

from monitor.client.chia import payloads
from monitor.client.chia.coverage import Coverage
from monitor.client.chia.rpc import ChiaRpc, RpcFailed
from monitor.client.chia.services.base import ChiaService, ServiceContext
from monitor.client.chia.services.full_node import FullNodeService
from protocol import chia_pb2, events_pb2


STANDARD_WALLET = 0      # chia's WalletType of an XCH wallet (farming rewards and pool payouts land there)
RECENT_TRANSACTIONS = 50  # per wallet, newest first: what changes between two polls, with history to spare


class WalletService(ChiaService):
    name = "wallet"
    topics = ("wallet", "wallet_transactions")

    def __init__(self, context: ServiceContext, full_node: FullNodeService) -> None:
        super().__init__(context)
        self._full_node = full_node
        self._wallet: chia_pb2.Wallet | None = None
        self._blocks_won: int | None = None
        self.blocks = Coverage()       # from its first answer on, every block farmed is its fact
        self._counted_at = 0.0         # when it first counted them, or counted a new one
        self._session = context.clock()                       # this client's start, marks its first reads
        # (fingerprint, wallet id) -> its newest transactions by id, as last read (a failed read keeps them)
        self._transactions: dict[tuple[int, int], dict[str, chia_pb2.WalletTransaction]] = {}

    async def poll(self, rpc: ChiaRpc) -> None:
        sync = await rpc.call("get_sync_status")
        height = await self._optional(rpc, "get_height_info")
        farmed = await self._optional(rpc, "get_farmed_amount")
        self._wallet = payloads.wallet(sync, height, farmed)
        self._full_node.wallet_height(self._wallet.height or None)
        if farmed:
            now = self.context.clock()
            won = self._wallet.blocks_won
            if self._blocks_won is None or won > self._blocks_won:
                self._counted_at = now     # its facts cover the blocks until now
            if self._blocks_won is not None and won > self._blocks_won:
                block_time = payloads.as_float(farmed.get("last_time_farmed")) or now
                self.context.add_fact("block", chia_pb2.BlockFarmed(height=self._wallet.last_height_farmed), block_time)
            self._blocks_won = won
            self.blocks.begin(now)         # blocks before its first count are in that count, not facts
        if self._wallet.synced:        # a syncing wallet finds old transactions as it goes: they are history, not news
            await self._poll_transactions(rpc)

    async def _poll_transactions(self, rpc: ChiaRpc) -> None:
        """The newest transactions of each XCH wallet (pending first). A transaction keeps what it
        was first reported with, so a poll changes only what changed; the rows of a wallet's first
        read since the client started carry the start time: the bot takes a wallet's first history
        as its baseline and announces only what came after."""
        wallets = await self._optional(rpc, "get_wallets", {"type": STANDARD_WALLET, "include_data": False})
        fingerprint = payloads.as_int(wallets.get("fingerprint"))
        for wallet in wallets.get("wallets") or []:
            wallet_id = payloads.as_int(payloads.as_dict(wallet).get("id"))
            answer = await self._optional(rpc, "get_transactions", {
                "wallet_id": wallet_id, "start": 0, "end": RECENT_TRANSACTIONS, "sort_key": "RELEVANCE"})
            if "transactions" not in answer:
                continue
            known = self._transactions.get((fingerprint, wallet_id))
            read = {}
            for entry in answer["transactions"] or []:
                tx = payloads.wallet_transaction(entry, fingerprint)
                if tx is None:
                    continue
                before = known.get(tx.id) if known is not None else None
                tx.history_session = before.history_session if before else (self._session if known is None else 0.0)
                read[tx.id] = tx
            self._transactions[(fingerprint, wallet_id)] = read

    def blocks_counted(self) -> list[tuple[float, float]]:
        """The periods whose blocks are facts already (taken with the next snapshot)."""
        return self.blocks.through(self._counted_at)

    @staticmethod
    async def _optional(rpc: ChiaRpc, endpoint: str, body: dict[str, Any] | None = None) -> dict[str, Any]:
        """A call whose failure (wallet not logged in, older chia) only leaves its fields empty."""
        try:
            return await rpc.call(endpoint, body)
        except RpcFailed:
            return {}

    def gone(self) -> None:
        self._wallet = None            # its transactions stay: a stopped wallet's history did not vanish

    def contribute(self, snapshot: events_pb2.ComputerInfo) -> None:
        if self._wallet is not None:
            snapshot.wallet.CopyFrom(self._wallet)
        for transactions in self._transactions.values():
            snapshot.wallet_transactions.extend(transactions.values())
