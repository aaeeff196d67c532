"""A ready local market: Anvil + WETH9 + tokens + three Uniswap V2 DEXes + pools + accounts.

``start_devnet()`` is a *sync* context manager (it runs its own ``trio.run`` for the
deployment), for sync pytest fixtures and the CLI; call it outside any running Trio loop.
The :class:`Devnet` it yields carries addresses and async helpers for tests; each helper opens
its own short-lived HTTP client, so a Devnet can be shared by tests that each run their own
Trio loop (pytest-trio).

Mining mode: with ``block_time=None`` Anvil runs with mining *off* — blocks exist only when
someone mines (``await dn.mine()``, or the ``mine=True`` default of ``swap``/``send_tx``/
``deploy``). With a ``block_time`` Anvil mines on that interval (the demo uses 1 s).
"""

from __future__ import annotations

import contextlib
import shutil
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import trio
from eth_account import Account
from eth_utils import keccak, to_checksum_address

from appliance.devnet._abi import calldata, decode_words, encode_args
from appliance.devnet._config_file import write_config, write_key
from appliance.devnet._deploy import MAX_UINT, Deployment, DexInfo, deploy_market
from appliance.devnet._market import MarketPlan, plan_market
from appliance.devnet._rpc import DevnetRpc
from appliance.devnet._v3 import deploy_v3
from appliance.devnet._v3_market import V3Market
from appliance.devnet.anvil import CHAIN_ID, AnvilNode
from appliance.devnet.errors import DevnetError, DevnetRpcError
from appliance.devnet.gas import DevnetGas
from appliance.events import PoolInfo, TokenInfo

__all__ = ["ACCOUNT_NAMES", "DevAccount", "Devnet", "open_devnet", "start_devnet"]

ACCOUNT_NAMES = ("deployer", "appliance", "simulator", "competitor")
SWAP_GAS = 400_000
_DEADLINE = 2**63

# Devnet accounts: keys derived from their names, so addresses (and every contract address the
# deployer creates) are the same on every run, and no key is written down in the repository.
# Anvil sends for them because the deployment turns on auto-impersonation; they are funded
# with anvil_setBalance.
_DEV_KEYS = tuple(
    "0x" + keccak(text=f"arb-appliance devnet account: {name}").hex() for name in ACCOUNT_NAMES
)
_DEV_ADDRESSES = tuple(Account.from_key(key).address for key in _DEV_KEYS)


@dataclass(frozen=True, slots=True)
class DevAccount:
    """An Anvil dev account (unlocked on the node). The key never appears in ``repr``."""

    name: str
    address: str
    private_key: str = field(repr=False)


def dev_accounts() -> dict[str, DevAccount]:
    return {
        name: DevAccount(name, addr, key)
        for name, addr, key in zip(ACCOUNT_NAMES, _DEV_ADDRESSES, _DEV_KEYS, strict=True)
    }


class Devnet:
    """A deployed devnet. Attributes are plain data; methods are async JSON-RPC helpers."""

    def __init__(
        self,
        *,
        anvil: AnvilNode,
        deployment: Deployment,
        plan: MarketPlan,
        accounts: dict[str, DevAccount],
        data_dir: Path,
        config_path: Path,
        key_file: Path,
        block_time: float | None,
        v3: V3Market | None = None,
        gas: DevnetGas | None = None,
    ) -> None:
        self.anvil = anvil
        self.rpc: str = anvil.url
        self.chain_id: int = anvil.chain_id
        self.seed: int = plan.seed
        self.plan = plan
        self.block_time = block_time
        self.weth: str = deployment.weth
        self.tokens: dict[str, TokenInfo] = dict(deployment.tokens)
        self.dexes: tuple[DexInfo, ...] = deployment.dexes
        self.pools: tuple[PoolInfo, ...] = deployment.pools
        self.initial_reserves: dict[str, tuple[int, int]] = dict(deployment.initial_reserves)
        self.core_symbols: tuple[str, ...] = deployment.core_symbols
        self.deployed_block: int = deployment.block
        self.accounts: dict[str, DevAccount] = dict(accounts)
        self.data_dir = data_dir
        self.config_path = config_path
        self.key_file = key_file
        self._by_address = {t.address.lower(): t for t in self.tokens.values()}
        self.v3: V3Market | None = v3  # the Uniswap V3 side, with ``with_v3=True`` only
        # mainnet-like gas (a base-fee floor, tipping traders); None: Anvil's decaying base fee
        self.gas: DevnetGas | None = gas

    def __repr__(self) -> str:
        return f"Devnet(rpc={self.rpc!r}, seed={self.seed}, tokens={len(self.tokens)}, pools={len(self.pools)})"

    # ------------------------------------------------------------------ lookups
    def dex(self, name: str) -> DexInfo:
        for dex in self.dexes:
            if dex.name == name:
                return dex
        raise DevnetError(f"no DEX named {name!r} (have {', '.join(d.name for d in self.dexes)})")

    def token(self, symbol_or_address: str) -> TokenInfo:
        """A token by symbol (``"USDC"``) or address (any case)."""
        if symbol_or_address in self.tokens:
            return self.tokens[symbol_or_address]
        found = self._by_address.get(symbol_or_address.lower())
        if found is None:
            raise DevnetError(f"no devnet token {symbol_or_address!r}")
        return found

    def pool(self, dex: str, a: str, b: str) -> PoolInfo:
        """The pool of tokens ``a``/``b`` (symbols or addresses) on ``dex``."""
        pair = {self.token(a).address, self.token(b).address}
        for p in self.pools:
            if p.dex == dex and {p.token0, p.token1} == pair:
                return p
        raise DevnetError(f"no {a}/{b} pool on {dex!r}")

    def address_of(self, who: str) -> str:
        """An account name (``"simulator"``) or an address, as a checksummed address."""
        if who in self.accounts:
            return self.accounts[who].address
        return to_checksum_address(who)

    def to_json(self) -> dict[str, Any]:
        """The public description (addresses only — no keys)."""
        return {
            "rpc": self.rpc,
            "chain_id": self.chain_id,
            "seed": self.seed,
            "weth": self.weth,
            "tokens": {
                s: {"address": t.address, "decimals": t.decimals} for s, t in self.tokens.items()
            },
            "factories": {d.name: d.factory for d in self.dexes},
            "routers": {d.name: d.router for d in self.dexes},
            "dexes": [
                {"name": d.name, "factory": d.factory, "router": d.router, "fee_bps": d.fee_bps}
                for d in self.dexes
            ],
            "pools": [
                {
                    "address": p.address,
                    "dex": p.dex,
                    "token0": p.token0,
                    "token1": p.token1,
                    "fee_bps": p.fee_bps,
                }
                for p in self.pools
            ],
            "accounts": {name: a.address for name, a in self.accounts.items()},
        } | ({} if self.v3 is None else {"v3": self._v3_json(self.v3)})

    @staticmethod
    def _v3_json(v3: V3Market) -> dict[str, Any]:
        return {
            "factory": v3.factory,
            "quoter": v3.quoter,
            "helper": v3.helper,
            "pools": [
                {"address": p.address, "token0": p.token0, "token1": p.token1, "fee": p.fee}
                for p in v3.pools
            ],
        }

    # ------------------------------------------------------------------ raw RPC
    def client(self) -> DevnetRpc:
        """A fresh JSON-RPC client (``async with dn.client() as rpc: ...``) for bulk work."""
        return DevnetRpc(self.rpc)

    async def call(self, method: str, params: list[Any] | tuple[Any, ...] = ()) -> Any:
        async with self.client() as rpc:
            return await rpc.call(method, params)

    async def block_number(self) -> int:
        return int(await self.call("eth_blockNumber"), 16)

    async def mine(self, n: int = 1) -> int:
        """Mine ``n`` blocks now; returns the new head."""
        async with self.client() as rpc:
            if n == 1:
                await rpc.call("evm_mine")
            else:
                await rpc.call("anvil_mine", [hex(n)])
            return int(await rpc.call("eth_blockNumber"), 16)

    async def snapshot(self) -> str:
        return await self.call("evm_snapshot")

    async def revert(self, snap: str) -> None:
        if not await self.call("evm_revert", [snap]):
            raise DevnetRpcError(f"evm_revert({snap!r}) failed: unknown snapshot")

    async def set_automine(self, enabled: bool) -> None:
        await self.call("evm_setAutomine", [enabled])

    async def eth_call(self, to: str, data: str, block: str = "latest") -> str:
        return await self.call("eth_call", [{"to": to, "data": data}, block])

    # ------------------------------------------------------------------ reads
    async def reserves(self, pool: str | PoolInfo) -> tuple[int, int]:
        address = pool.address if isinstance(pool, PoolInfo) else pool
        r0, r1, _ = decode_words(
            ["uint112", "uint112", "uint32"],
            await self.eth_call(address, calldata("getReserves()")),
        )
        return r0, r1

    async def all_reserves(self) -> dict[str, tuple[int, int]]:
        """Reserves of every devnet pool, in one batch."""
        async with self.client() as rpc:
            answers = await rpc.batch(
                [
                    ("eth_call", [{"to": p.address, "data": calldata("getReserves()")}, "latest"])
                    for p in self.pools
                ]
            )
        out = {}
        for p, answer in zip(self.pools, answers, strict=True):
            r0, r1, _ = decode_words(["uint112", "uint112", "uint32"], answer)
            out[p.address] = (r0, r1)
        return out

    async def balance(self, token: str, address: str) -> int:
        """ERC-20 balance of ``address`` (or an account name); ``token="ETH"`` for native."""
        who = self.address_of(address)
        if token == "ETH":
            return int(await self.call("eth_getBalance", [who, "latest"]), 16)
        data = await self.eth_call(self.token(token).address, calldata("balanceOf(address)", who))
        return decode_words(["uint256"], data)[0]

    async def amounts_out(self, dex: str, amount_in: int, path: list[str]) -> list[int]:
        """The real router's ``getAmountsOut(amount_in, path)`` (path of symbols or addresses)."""
        addrs = [self.token(t).address for t in path]
        data = await self.eth_call(
            self.dex(dex).router, calldata("getAmountsOut(uint256,address[])", amount_in, addrs)
        )
        return list(decode_words(["uint256[]"], data)[0])

    # ------------------------------------------------------------------ writes
    async def _send(
        self,
        rpc: DevnetRpc,
        sender: str,
        to: str | None,
        data: str,
        value: int,
        gas: int | None,
        *,
        tip_gwei: int | None = None,
    ) -> str:
        tx: dict[str, Any] = {"from": sender, "data": data, "value": hex(value)}
        if to is not None:
            tx["to"] = to
        if gas is not None:
            tx["gas"] = hex(gas)
        if tip_gwei is not None:  # a chosen priority fee: e.g. a competitor outbidding us
            tx["maxPriorityFeePerGas"] = hex(tip_gwei * 10**9)
            tx["maxFeePerGas"] = hex(max(500, 2 * tip_gwei) * 10**9)
        elif self.gas is not None:  # mainnet-like gas: priced for the floor, not Anvil's default
            tx.update(self.gas.wallet_fees())
        return await rpc.call("eth_sendTransaction", [tx])

    async def _receipt(self, rpc: DevnetRpc, tx_hash: str, *, mine: bool) -> dict[str, Any]:
        receipt = await rpc.call("eth_getTransactionReceipt", [tx_hash])
        if receipt is None and mine:
            await rpc.call("evm_mine")
            receipt = await rpc.call("eth_getTransactionReceipt", [tx_hash])
        with trio.move_on_after(30):
            while receipt is None:
                await trio.sleep(0.05)
                receipt = await rpc.call("eth_getTransactionReceipt", [tx_hash])
        if receipt is None:
            raise DevnetRpcError(f"transaction {tx_hash} not mined within 30 s")
        return receipt

    async def send_tx(
        self,
        account: str,
        to: str | None,
        data: str = "0x",
        value: int = 0,
        mine: bool = True,
        *,
        gas: int | None = None,
        check: bool = True,
    ) -> dict[str, Any]:
        """Send a transaction from a dev account (by name or address).

        With ``mine=True`` mines if needed and returns the receipt (raising
        :class:`DevnetRpcError` on a revert when ``check``); with ``mine=False`` it returns
        ``{"transactionHash": ...}`` at once and the transaction waits for the next block.
        Without ``gas`` Anvil estimates it against the latest block.
        """
        async with self.client() as rpc:
            tx_hash = await self._send(rpc, self.address_of(account), to, data, value, gas)
            if not mine:
                return {"transactionHash": tx_hash}
            receipt = await self._receipt(rpc, tx_hash, mine=True)
        if check and int(receipt["status"], 16) != 1:
            raise DevnetRpcError(f"transaction {tx_hash} from {account} to {to} reverted")
        return receipt

    async def deploy(
        self,
        account: str,
        bytecode: bytes | str,
        abi: list[dict[str, Any]] | None = None,
        args: tuple[Any, ...] = (),
    ) -> str:
        """Deploy a contract from a dev account; returns its checksummed address (mines)."""
        code = (
            bytecode if isinstance(bytecode, bytes) else bytes.fromhex(bytecode.removeprefix("0x"))
        )
        if args:
            ctor = next((e for e in abi or [] if e.get("type") == "constructor"), None)
            if ctor is None:
                raise DevnetError("deploy() got constructor args but no ABI with a constructor")
            code += encode_args([i["type"] for i in ctor["inputs"]], args)
        receipt = await self.send_tx(account, None, "0x" + code.hex())
        return to_checksum_address(receipt["contractAddress"])

    async def swap(
        self,
        dex_name: str,
        token_in: str,
        token_out: str,
        amount_in: int,
        *,
        account: str = "simulator",
        mine: bool = True,
        amount_out_min: int = 0,
        tip_gwei: int | None = None,
    ) -> str:
        """``swapExactTokensForTokens`` through ``dex_name``'s router; returns the tx hash.

        Approves the router once (max) when the allowance is short. With ``mine=True`` the
        swap is mined and must succeed; with ``mine=False`` and a ``tip_gwei`` it waits in the
        pool to be ordered by its tip (a front-runner).
        """
        router = self.dex(dex_name).router
        t_in, t_out = self.token(token_in).address, self.token(token_out).address
        sender = self.address_of(account)
        async with self.client() as rpc:
            allowance = decode_words(
                ["uint256"],
                await rpc.call(
                    "eth_call",
                    [
                        {
                            "to": t_in,
                            "data": calldata("allowance(address,address)", sender, router),
                        },
                        "latest",
                    ],
                ),
            )[0]
            if allowance < amount_in:
                await self._send(
                    rpc,
                    sender,
                    t_in,
                    calldata("approve(address,uint256)", router, MAX_UINT),
                    0,
                    100_000,
                )
            data = calldata(
                "swapExactTokensForTokens(uint256,uint256,address[],address,uint256)",
                amount_in,
                amount_out_min,
                [t_in, t_out],
                sender,
                _DEADLINE,
            )
            tx_hash = await self._send(rpc, sender, router, data, 0, SWAP_GAS, tip_gwei=tip_gwei)
            if mine:
                receipt = await self._receipt(rpc, tx_hash, mine=True)
                if int(receipt["status"], 16) != 1:
                    raise DevnetRpcError(
                        f"swap {amount_in} {token_in}->{token_out} on {dex_name} reverted (tx {tx_hash})"
                    )
        return tx_hash


# ---------------------------------------------------------------------- construction
async def _build(
    anvil: AnvilNode,
    *,
    seed: int,
    n_pools_extra: int,
    data_dir: Path,
    block_time: float | None,
    with_v3: bool = False,
    gas: DevnetGas | None = None,
) -> Devnet:
    plan = plan_market(seed, n_pools_extra)
    accounts = dev_accounts()
    v3 = None
    async with DevnetRpc(anvil.url) as rpc:
        deployment = await deploy_market(rpc, plan, {n: a.address for n, a in accounts.items()})
        if with_v3:  # after the V2 market, so its addresses are the same with or without V3
            v3 = await deploy_v3(rpc, plan, deployment, accounts["deployer"].address)
        if gas is not None:  # the deployment's blocks let it decay: back to the floor from here
            await rpc.call("anvil_setNextBlockBaseFeePerGas", [hex(gas.base_fee_wei)])
    data_dir.mkdir(parents=True, exist_ok=True)
    key_file = write_key(data_dir, accounts["appliance"].private_key)
    config_path = write_config(
        data_dir,
        rpc=anvil.url,
        chain_id=anvil.chain_id,
        deployment=deployment,
        key_file=key_file,
        block_time=block_time,
        seed=seed,
        v3=v3,
        risk=None if gas is None else gas.owner_limits(),
    )
    _validate_config(config_path)
    return Devnet(
        anvil=anvil,
        deployment=deployment,
        plan=plan,
        accounts=accounts,
        data_dir=data_dir,
        config_path=config_path,
        key_file=key_file,
        block_time=block_time,
        v3=v3,
        gas=gas,
    )


def _validate_config(path: Path) -> None:
    from appliance.config import ConfigError, load_config

    try:
        load_config(path)
    except ConfigError as exc:
        raise DevnetError(f"the devnet wrote a config that does not validate: {exc}") from None


def _anvil_for(
    block_time: float | None, port: int | None, gas: DevnetGas | None = None
) -> AnvilNode:
    if block_time is not None and block_time <= 0:
        raise DevnetError(f"block_time must be > 0 seconds, not {block_time!r}")
    return AnvilNode(
        chain_id=CHAIN_ID,
        block_time=block_time,
        no_mining=block_time is None,
        port=port,
        extra_args=() if gas is None else gas.anvil_args(),
    )


@contextlib.contextmanager
def start_devnet(
    *,
    seed: int = 1,
    block_time: float | None = None,
    data_dir: Path | None = None,
    n_pools_extra: int = 0,
    port: int | None = None,
    with_v3: bool = False,
    gas: DevnetGas | None = None,
) -> Iterator[Devnet]:
    """Start Anvil, deploy the market for ``seed``, yield the :class:`Devnet`; stop Anvil after.

    Sync (runs ``trio.run`` inside): call it outside a Trio loop. Without ``data_dir`` the
    config and key go to a temporary directory removed on exit. ``port``: a fixed Anvil port
    (default: a free one). ``with_v3``: also deploy Uniswap V3 (``dn.v3``), after the V2 market.
    ``gas``: mainnet-like gas (:mod:`appliance.devnet.gas`; the market service keeps the floor);
    default: Anvil's own base fee, which decays to about 0.
    """
    node = _anvil_for(block_time, port, gas)
    tmp = Path(tempfile.mkdtemp(prefix="arb-devnet-")) if data_dir is None else None
    try:
        node.start()
        devnet = trio.run(
            lambda: _build(
                node,
                seed=seed,
                n_pools_extra=n_pools_extra,
                data_dir=Path(data_dir or tmp),
                block_time=block_time,
                with_v3=with_v3,
                gas=gas,
            )
        )
        yield devnet
    finally:
        node.cleanup()
        if tmp is not None:
            shutil.rmtree(tmp, ignore_errors=True)


@contextlib.asynccontextmanager
async def open_devnet(
    *,
    seed: int = 1,
    block_time: float | None = None,
    data_dir: Path,
    n_pools_extra: int = 0,
    port: int | None = None,
    with_v3: bool = False,
    gas: DevnetGas | None = None,
):
    """:func:`start_devnet` for code already inside Trio (``async with open_devnet(...)``)."""
    node = _anvil_for(block_time, port, gas)
    try:
        await node.start_async()
        yield await _build(
            node,
            seed=seed,
            n_pools_extra=n_pools_extra,
            data_dir=data_dir,
            block_time=block_time,
            with_v3=with_v3,
            gas=gas,
        )
    finally:
        node.cleanup()
