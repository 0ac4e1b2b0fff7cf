"""The wallet: sync state, height, farmed amounts, and the blocks it says were won, each new one a
fact (while it answers get_farmed_amount, blocks are its facts, not debug.log's)."""
from __future__ import annotations

from typing import Any

from monitor.client.chia import payloads
from monitor.client.chia.rpc import ChiaRpc, RpcFailed
from monitor.client.chia.services.base import ChiaService, ServiceContext
from monitor.client.chia.services.full_node import FullNodeService
from protocol import chia_pb2, events_pb2


class WalletService(ChiaService):
    name = "wallet"

    def __init__(self, context: ServiceContext, full_node: FullNodeService) -> None:
        super().__init__(context)
        self._full_node = full_node
        self._wallet: chia_pb2.Wallet | None = None
        self._blocks_won: int | None = None

    async def poll(self, rpc: ChiaRpc) -> None:
        sync = await rpc.call("get_sync_status")
        height = await self._optional(rpc, "get_height_info")
        farmed = await self._optional(rpc, "get_farmed_amount")
        self._wallet = payloads.wallet(sync, height, farmed)
        self._full_node.wallet_height(self._wallet.height or None)
        if farmed:
            won = self._wallet.blocks_won
            if self._blocks_won is not None and won > self._blocks_won:
                block_time = payloads.as_float(farmed.get("last_time_farmed")) or self.context.clock()
                self.context.add_fact("block", chia_pb2.BlockFarmed(height=self._wallet.last_height_farmed), block_time)
            self._blocks_won = won

    @property
    def reports_blocks(self) -> bool:
        """The wallet answers get_farmed_amount: blocks farmed come from it."""
        return self._blocks_won is not None

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
