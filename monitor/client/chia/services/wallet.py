"""The wallet: sync state, height, farmed amounts, and the blocks it says were won, each new one a
fact (from its first count on, the blocks farmed are its facts, not debug.log's)."""
from __future__ import annotations

from typing import Any

from monitor.client.chia import payloads
from monitor.client.chia.coverage import Coverage
from monitor.client.chia.rpc import ChiaRpc, RpcFailed
from monitor.client.chia.services.base import ChiaService, ServiceContext
from monitor.client.chia.services.full_node import FullNodeService
from protocol import chia_pb2, events_pb2


class WalletService(ChiaService):
    name = "wallet"
    topics = ("wallet",)

    def __init__(self, context: ServiceContext, full_node: FullNodeService) -> None:
        super().__init__(context)
        self._full_node = full_node
        self._wallet: chia_pb2.Wallet | None = None
        self._blocks_won: int | None = None
        self.blocks = Coverage()       # from its first answer on, every block farmed is its fact
        self._counted_at = 0.0         # when it first counted them, or counted a new one

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

    def blocks_counted(self) -> list[tuple[float, float]]:
        """The periods whose blocks are facts already (taken with the next snapshot)."""
        return self.blocks.through(self._counted_at)

    @staticmethod
    async def _optional(rpc: ChiaRpc, endpoint: str) -> dict[str, Any]:
        """A call whose failure (wallet not logged in, older chia) only leaves its fields empty."""
        try:
            return await rpc.call(endpoint)
        except RpcFailed:
            return {}

    def gone(self) -> None:
        self._wallet = None

    def contribute(self, snapshot: events_pb2.ComputerInfo) -> None:
        if self._wallet is not None:
            snapshot.wallet.CopyFrom(self._wallet)
