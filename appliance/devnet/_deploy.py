"""Deploy the planned market onto a fresh Anvil in a few blocks.

Speed matters (benchmarks deploy 2,000 pools): every transaction is sent with an explicit
nonce and gas limit through Anvil's unlocked dev accounts (``eth_sendTransaction``), in JSON-RPC
batches of a few hundred while mining is held; each batch is mined into one block and its
receipts checked (``eth_getBlockReceipts``) before the next is sent. Contract addresses follow from the deployer's nonces (CREATE) and the canonical
pair init-code hash (CREATE2), and are checked against ``factory.getPair`` afterwards.

Two phases, because transactions of *different* senders in one block have no guaranteed order:
phase 1 is the deployer alone (contracts, liquidity, token funding), phase 2 the other accounts
(wrapping ETH, router approvals), which need phase 1's contracts to exist.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from eth_utils import keccak, to_checksum_address

from appliance.devnet._abi import (
    CANONICAL_INIT_CODE_HASH,
    calldata,
    create_address,
    decode_words,
    encode_args,
    pair_address,
    sort_tokens,
)
from appliance.devnet._market import DEX_NAMES, WETH, MarketPlan, funding, needed_per_token
from appliance.devnet._rpc import DevnetRpc
from appliance.devnet._token import load_token
from appliance.devnet._tools import load_artifact
from appliance.devnet.errors import DevnetRpcError, InitCodeHashMismatch
from appliance.events import PoolInfo, TokenInfo

__all__ = ["DEX_FEE_BPS", "Deployment", "DexInfo", "check_init_code_hash", "deploy_market"]

DEX_FEE_BPS = 30  # the real Uniswap V2 pair hardcodes 0.3 %
MAX_UINT = 2**256 - 1
DEADLINE = 2**63
GWEI = 10**9
_DEPLOY_GAS = 8_000_000
_LIQUIDITY_GAS = 4_500_000
_SMALL_GAS = 150_000
_BIG_BLOCK = 2**40  # gas limit while deploying; restored afterwards
_BALANCE_DEPLOYER = 10**30
_BALANCE_OTHERS = 10**24  # 1,000,000 ETH each
_WRAP_OTHERS = {
    "appliance": 1_000 * 10**18,
    "simulator": 20_000 * 10**18,
    "competitor": 20_000 * 10**18,
}
_CORE_FUNDING_USD = {"appliance": 1_000_000, "simulator": 20_000_000, "competitor": 5_000_000}
_EXTRA_FUNDING_USD = {"simulator": 250_000, "competitor": 100_000}
_APPROVERS = ("simulator", "competitor")
_N_CORE = 7


@dataclass(frozen=True, slots=True)
class DexInfo:
    """One devnet DEX: a real UniswapV2Factory and a UniswapV2Router02 bound to it."""

    name: str
    factory: str
    router: str
    fee_bps: int = DEX_FEE_BPS


@dataclass(frozen=True, slots=True)
class Deployment:
    weth: str
    tokens: dict[str, TokenInfo]  # by symbol, WETH included
    dexes: tuple[DexInfo, ...]
    pools: tuple[PoolInfo, ...]
    initial_reserves: dict[str, tuple[int, int]]  # pool -> (reserve0, reserve1) as deployed
    core_symbols: tuple[str, ...]
    block: int  # head after deployment


def check_init_code_hash() -> str:
    """The pair init-code hash of the npm artifacts; raises unless it is the canonical one."""
    _, pair_code = load_artifact("v2-core", "UniswapV2Pair")
    _, factory_code = load_artifact("v2-core", "UniswapV2Factory")
    got = "0x" + keccak(pair_code).hex()
    if got != CANONICAL_INIT_CODE_HASH:
        raise InitCodeHashMismatch(
            f"UniswapV2Pair init-code hash is {got}, expected {CANONICAL_INIT_CODE_HASH}"
        )
    if pair_code not in factory_code:
        raise InitCodeHashMismatch(
            "UniswapV2Factory artifact does not embed the UniswapV2Pair bytecode"
        )
    return got


class _Batch:
    """Transactions to send, with labels for error messages and per-sender nonces."""

    def __init__(self, nonces: dict[str, int]) -> None:
        self.nonces = dict(nonces)
        self.txs: list[dict[str, Any]] = []
        self.labels: list[str] = []

    def add(
        self, sender: str, to: str | None, data: str, *, gas: int, value: int = 0, label: str
    ) -> int:
        nonce = self.nonces[sender]
        self.nonces[sender] = nonce + 1
        tx: dict[str, Any] = {
            "from": sender,
            "data": data,
            "gas": hex(gas),
            "nonce": hex(nonce),
            "value": hex(value),
            "maxFeePerGas": hex(1000 * GWEI),
            "maxPriorityFeePerGas": hex(0),
        }
        if to is not None:
            tx["to"] = to
        self.txs.append(tx)
        self.labels.append(label)
        return nonce


async def _send_and_mine(rpc: DevnetRpc, batch: _Batch, *, chunk: int = 150) -> None:
    """Send ``chunk`` transactions, mine them into one block, check its receipts; repeat.

    Small blocks keep Anvil fast: its pool and its per-receipt work grow with the block size.
    """
    for start in range(0, len(batch.txs), chunk):
        txs, labels = batch.txs[start : start + chunk], batch.labels[start : start + chunk]
        first = int(await rpc.call("eth_blockNumber"), 16) + 1
        hashes = await rpc.batch([("eth_sendTransaction", [tx]) for tx in txs])
        for _ in range(1000):
            await rpc.call("evm_mine")
            status = await rpc.call("txpool_status")
            if int(status["pending"], 16) == 0 and int(status.get("queued", "0x0"), 16) == 0:
                break
        # with interval mining, Anvil's own miner may have mined some of them in earlier blocks
        head = int(await rpc.call("eth_blockNumber"), 16)
        blocks = await rpc.batch(
            [("eth_getBlockReceipts", [hex(n)]) for n in range(first, head + 1)]
        )
        receipts = {r["transactionHash"]: r for block in blocks for r in block or []}
        for label, tx_hash in zip(labels, hashes, strict=True):
            receipt = receipts.get(tx_hash)
            if receipt is None:
                raise DevnetRpcError(f"deployment transaction {label!r} was not mined")
            if int(receipt["status"], 16) != 1:
                raise DevnetRpcError(f"deployment transaction {label!r} reverted (tx {tx_hash})")


async def deploy_market(rpc: DevnetRpc, plan: MarketPlan, accounts: dict[str, str]) -> Deployment:
    """Deploy ``plan``. ``accounts`` maps deployer/appliance/simulator/competitor to addresses."""
    check_init_code_hash()
    _, weth_code = load_artifact("v2-periphery", "WETH9")
    _, factory_code = load_artifact("v2-core", "UniswapV2Factory")
    _, router_code = load_artifact("v2-periphery", "UniswapV2Router02")
    _, token_code = load_token()
    deployer = accounts["deployer"]

    latest = await rpc.call("eth_getBlockByNumber", ["latest", False])
    gas_limit = int(latest["gasLimit"], 16)
    await rpc.batch(
        [("evm_setBlockGasLimit", [hex(_BIG_BLOCK)]), ("anvil_autoImpersonateAccount", [True])]
        + [
            (
                "anvil_setBalance",
                [a, hex(_BALANCE_DEPLOYER if n == "deployer" else _BALANCE_OTHERS)],
            )
            for n, a in accounts.items()
        ]
    )
    nonce_answers = await rpc.batch(
        [("eth_getTransactionCount", [a, "pending"]) for a in accounts.values()]
    )
    nonces = {a: int(n, 16) for a, n in zip(accounts.values(), nonce_answers, strict=True)}

    # ---------------------------------------------------------------- phase 1: the deployer
    b = _Batch(nonces)

    def deploy(code: bytes, label: str) -> str:
        nonce = b.add(deployer, None, "0x" + code.hex(), gas=_DEPLOY_GAS, label=label)
        return create_address(deployer, nonce)

    weth = deploy(weth_code, "deploy WETH9")
    need = needed_per_token(plan)
    token_addr: dict[str, str] = {WETH: weth}
    for spec in plan.tokens:
        if spec.symbol == WETH:
            continue
        is_core = len(token_addr) < _N_CORE
        per_account = _CORE_FUNDING_USD if is_core else _EXTRA_FUNDING_USD
        supply = need[spec.symbol] + sum(funding(spec, usd) for usd in per_account.values())
        args = encode_args(
            ["string", "string", "uint8", "uint256"],
            (spec.name, spec.symbol, spec.decimals, supply),
        )
        token_addr[spec.symbol] = deploy(token_code + args, f"deploy {spec.symbol}")
    factories = [
        deploy(factory_code + encode_args(["address"], (deployer,)), f"deploy {name} factory")
        for name in DEX_NAMES
    ]
    routers = [
        deploy(
            router_code + encode_args(["address", "address"], (factory, weth)),
            f"deploy {name} router",
        )
        for name, factory in zip(DEX_NAMES, factories, strict=True)
    ]
    b.add(
        deployer, weth, calldata("deposit()"), gas=_SMALL_GAS, value=need[WETH], label="wrap WETH"
    )
    for symbol, token in token_addr.items():
        for router in routers:
            b.add(
                deployer,
                token,
                calldata("approve(address,uint256)", router, MAX_UINT),
                gas=_SMALL_GAS,
                label=f"approve {symbol}",
            )
    for i, p in enumerate(plan.pools):
        data = calldata(
            "addLiquidity(address,address,uint256,uint256,uint256,uint256,address,uint256)",
            token_addr[p.a],
            token_addr[p.b],
            p.amount_a,
            p.amount_b,
            p.amount_a,
            p.amount_b,
            deployer,
            DEADLINE,
        )
        b.add(
            deployer,
            routers[p.dex],
            data,
            gas=_LIQUIDITY_GAS,
            label=f"pool #{i} {p.a}/{p.b} on {DEX_NAMES[p.dex]}",
        )
    for spec in plan.tokens[1:]:
        is_core = plan.tokens.index(spec) < _N_CORE
        for who, usd in (_CORE_FUNDING_USD if is_core else _EXTRA_FUNDING_USD).items():
            amount = funding(spec, usd)
            b.add(
                deployer,
                token_addr[spec.symbol],
                calldata("transfer(address,uint256)", accounts[who], amount),
                gas=_SMALL_GAS,
                label=f"fund {who} {spec.symbol}",
            )
    await _send_and_mine(rpc, b)

    # ---------------------------------------------------------------- phase 2: the other accounts
    b2 = _Batch(b.nonces)
    for who, amount in _WRAP_OTHERS.items():
        b2.add(
            accounts[who],
            weth,
            calldata("deposit()"),
            gas=_SMALL_GAS,
            value=amount,
            label=f"{who} wraps WETH",
        )
    core = [s.symbol for s in plan.tokens[:_N_CORE]]
    for who in _APPROVERS:
        for symbol in core:
            for router in routers:
                b2.add(
                    accounts[who],
                    token_addr[symbol],
                    calldata("approve(address,uint256)", router, MAX_UINT),
                    gas=_SMALL_GAS,
                    label=f"{who} approves {symbol}",
                )
    await _send_and_mine(rpc, b2)

    await rpc.batch(
        [
            ("evm_setBlockGasLimit", [hex(gas_limit)]),
            ("anvil_setNextBlockBaseFeePerGas", [hex(GWEI)]),
        ]
    )
    await rpc.call("evm_mine")  # a normal block after deployment: realistic gas limit and base fee

    dexes = tuple(
        DexInfo(n, to_checksum_address(f), to_checksum_address(r))
        for n, f, r in zip(DEX_NAMES, factories, routers, strict=True)
    )
    pools, reserves = [], {}
    for p in plan.pools:
        a, bb = token_addr[p.a], token_addr[p.b]
        t0, t1 = sort_tokens(a, bb)
        address = pair_address(dexes[p.dex].factory, a, bb)
        pools.append(
            PoolInfo(
                address=address, dex=dexes[p.dex].name, token0=t0, token1=t1, fee_bps=DEX_FEE_BPS
            )
        )
        reserves[address] = (p.amount_a, p.amount_b) if t0 == a else (p.amount_b, p.amount_a)
    answers = await rpc.batch(
        [
            (
                "eth_call",
                [
                    {
                        "to": dexes[p.dex].factory,
                        "data": calldata(
                            "getPair(address,address)", token_addr[p.a], token_addr[p.b]
                        ),
                    },
                    "latest",
                ],
            )
            for p in plan.pools
        ]
    )
    for pool, answer in zip(pools, answers, strict=True):
        (got,) = decode_words(["address"], answer)
        if to_checksum_address(got) != pool.address:
            raise InitCodeHashMismatch(
                f"factory {pool.dex} created pair {got} where CREATE2 with the canonical hash gives {pool.address}"
            )
    tokens = {
        s.symbol: TokenInfo(address=token_addr[s.symbol], symbol=s.symbol, decimals=s.decimals)
        for s in plan.tokens
    }
    head = int(await rpc.call("eth_blockNumber"), 16)
    return Deployment(
        weth=weth,
        tokens=tokens,
        dexes=dexes,
        pools=tuple(pools),
        initial_reserves=reserves,
        core_symbols=tuple(core),
        block=head,
    )
