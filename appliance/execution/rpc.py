"""The few JSON-RPC calls execution needs, over any client that has ``async call(method, params)``.

The chain package's pool (failover, hedging, breakers) is the production client; its single-endpoint
``RpcClient`` serves the private relay, ``deploy-executor`` and tests. :class:`ExecRpc` wraps
either and turns hex answers into ints.
"""

from __future__ import annotations

from typing import Any, Protocol

from appliance.chain.errors import ChainError, RpcCallError
from appliance.execution.errors import NodeError, RpcUnavailable

__all__ = ["CallClient", "ExecRpc"]


class CallClient(Protocol):
    async def call(self, method: str, params: list[Any]) -> Any: ...


class ExecRpc:
    """Typed helpers over a :class:`CallClient`.

    Errors are translated at this boundary: a JSON-RPC error answer (the chain package's
    ``RpcCallError`` and its subclasses, which keep ``code``/``message``/``data``) becomes
    :class:`NodeError`; anything else the chain package raises (transport, timeout, no healthy
    endpoint) becomes :class:`RpcUnavailable`: the outcome is unknown.
    """

    def __init__(self, client: CallClient) -> None:
        self.client = client

    async def call(self, method: str, params: list[Any]) -> Any:
        try:
            return await self.client.call(method, params)
        except (NodeError, RpcUnavailable):
            raise
        except ChainError as exc:
            if isinstance(exc, RpcCallError):
                raise NodeError(method, exc.code, exc.message, exc.data) from None
            raise RpcUnavailable(f"{method}: {exc}") from None

    async def chain_id(self) -> int:
        return int(await self.call("eth_chainId", []), 16)

    async def block_number(self) -> int:
        return int(await self.call("eth_blockNumber", []), 16)

    async def get_block(self, tag: int | str = "latest") -> dict[str, Any]:
        ref = hex(tag) if isinstance(tag, int) else tag
        return await self.call("eth_getBlockByNumber", [ref, False])

    async def eth_call(self, tx: dict[str, Any], block: int | str = "latest") -> bytes:
        ref = hex(block) if isinstance(block, int) else block
        out = await self.call("eth_call", [tx, ref])
        return bytes.fromhex(out[2:])

    async def estimate_gas(self, tx: dict[str, Any]) -> int:
        return int(await self.call("eth_estimateGas", [tx]), 16)

    async def gas_price(self) -> int:
        return int(await self.call("eth_gasPrice", []), 16)

    async def get_transaction_count(self, address: str, block: str = "pending") -> int:
        return int(await self.call("eth_getTransactionCount", [address, block]), 16)

    async def send_raw_transaction(self, raw: bytes) -> str:
        return str(await self.call("eth_sendRawTransaction", ["0x" + raw.hex()])).lower()

    async def get_transaction_receipt(self, tx_hash: str) -> dict[str, Any] | None:
        return await self.call("eth_getTransactionReceipt", [tx_hash])

    async def get_transaction(self, tx_hash: str) -> dict[str, Any] | None:
        return await self.call("eth_getTransactionByHash", [tx_hash])
