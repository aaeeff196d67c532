"""Uniswap V3 on the devnet (opt-in): the real factory and QuoterV2 from npm, pools, positions.

``deploy_v3`` runs after the V2 market (``start_devnet(with_v3=True)``), so the default
deployment and its addresses stay exactly as they are. It deploys, from the deployer alone:
``UniswapV3Factory`` (``@uniswap/v3-core``; fee tier 100/1 enabled beside the built-in three),
``QuoterV2`` (``@uniswap/v3-periphery``), and our own ``contracts/v3_helper.vy`` that mints
positions and swaps, paying in the pool's callback. Then one pool per planned pair and fee
tier, initialized at the reference price, with the planned positions minted for the deployer.
Pool addresses follow from CREATE2 with the pool's init-code hash and are checked against
``factory.getPool``; the Quoter only works when that hash is the canonical one it hardcodes.

It returns a :class:`~appliance.devnet._v3_market.V3Market` (addresses and test helpers).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from eth_abi import encode
from eth_utils import keccak, to_checksum_address

from appliance.devnet._abi import calldata, create2_address, create_address, decode_words
from appliance.devnet._deploy import _BIG_BLOCK, MAX_UINT, Deployment, _Batch, _send_and_mine
from appliance.devnet._market import WETH, MarketPlan
from appliance.devnet._rpc import DevnetRpc
from appliance.devnet._tools import tools_dir
from appliance.devnet._v3_market import V3Market, V3PoolInfo
from appliance.devnet._v3_plan import plan_v3, positions, sqrt_price_x96
from appliance.devnet.errors import ArtifactMissing, InitCodeHashMismatch
from appliance.execution.deploy import UNISWAP_V3_POOL_INIT_CODE_HASH
from appliance.market.v3math import get_tick_at_sqrt_ratio

__all__ = [
    "V3_POOL_INIT_CODE_HASH",
    "compile_v3_helper",
    "deploy_v3",
    "load_v3_artifact",
    "load_v3_helper",
]

#: the executor's own constant: the devnet checks the installed UniswapV3Pool against it
V3_POOL_INIT_CODE_HASH = UNISWAP_V3_POOL_INIT_CODE_HASH
_HELPER_SOURCE = Path(__file__).resolve().parent / "contracts" / "v3_helper.vy"
_HELPER_ARTIFACT = _HELPER_SOURCE.with_suffix(".json")
_DEPLOY_GAS = 8_000_000
_POOL_GAS = 6_500_000
_MINT_GAS = 1_000_000
_SMALL_GAS = 200_000
_MINT_TOKENS = 10**40  # of each token, to the deployer (the devnet tokens' owner-only mint)
_WRAP = 10**27  # wei the deployer wraps for WETH-side liquidity


def load_v3_artifact(package: str, path: str) -> tuple[list[dict[str, Any]], bytes]:
    """``(abi, creation bytecode)`` of ``@uniswap/<package>/artifacts/contracts/<path>.json``."""
    file = tools_dir() / "@uniswap" / package / "artifacts" / "contracts" / f"{path}.json"
    try:
        data = json.loads(file.read_text())
        return data["abi"], bytes.fromhex(data["bytecode"].removeprefix("0x"))
    except FileNotFoundError:
        raise ArtifactMissing(
            f"contract artifact {str(file)!r} not found: run `make setup` (needs Node.js/npm)"
        ) from None
    except (ValueError, KeyError, TypeError) as exc:
        raise ArtifactMissing(f"contract artifact {str(file)!r} is unreadable: {exc}") from None


def compile_v3_helper() -> dict[str, Any]:
    """Compile ``v3_helper.vy`` now (needs ``vyper``): ``{"abi", "bytecode", "vyper"}``."""
    import vyper

    out = vyper.compile_code(_HELPER_SOURCE.read_text(), output_formats=["abi", "bytecode"])
    return {"vyper": vyper.__version__, "abi": out["abi"], "bytecode": out["bytecode"]}


def load_v3_helper() -> tuple[list[dict[str, Any]], bytes]:
    """``(abi, creation bytecode)`` of our helper, from its committed artifact."""
    data = json.loads(_HELPER_ARTIFACT.read_text())
    return data["abi"], bytes.fromhex(data["bytecode"].removeprefix("0x"))


async def deploy_v3(
    rpc: DevnetRpc, plan: MarketPlan, deployment: Deployment, deployer: str
) -> V3Market:
    """Deploy the V3 side onto a devnet whose V2 market is ``deployment`` (see module doc)."""
    _, factory_code = load_v3_artifact("v3-core", "UniswapV3Factory.sol/UniswapV3Factory")
    _, pool_code = load_v3_artifact("v3-core", "UniswapV3Pool.sol/UniswapV3Pool")
    _, quoter_code = load_v3_artifact("v3-periphery", "lens/QuoterV2.sol/QuoterV2")
    _, helper_code = load_v3_helper()
    got = "0x" + keccak(pool_code).hex()
    if got != V3_POOL_INIT_CODE_HASH:
        raise InitCodeHashMismatch(
            f"UniswapV3Pool init-code hash is {got}, expected {V3_POOL_INIT_CODE_HASH}"
        )
    nonce = int(await rpc.call("eth_getTransactionCount", [deployer, "pending"]), 16)
    b = _Batch({deployer: nonce})

    def deploy(code: bytes, label: str) -> str:
        return create_address(
            deployer, b.add(deployer, None, "0x" + code.hex(), gas=_DEPLOY_GAS, label=label)
        )

    factory = deploy(factory_code, "deploy UniswapV3Factory")
    quoter = deploy(
        quoter_code + encode(["address", "address"], [factory, deployment.weth]), "deploy QuoterV2"
    )
    helper = deploy(helper_code, "deploy V3 helper")
    b.add(
        deployer,
        factory,
        calldata("enableFeeAmount(uint24,int24)", 100, 1),
        gas=_SMALL_GAS,
        label="enable fee 100",
    )

    planned = plan_v3(plan)
    symbols = sorted({s for p in planned for s in (p.a, p.b)})
    b.add(
        deployer,
        deployment.weth,
        calldata("deposit()"),
        gas=_SMALL_GAS,
        value=_WRAP,
        label="wrap WETH for V3",
    )
    for symbol in symbols:
        token = deployment.tokens[symbol].address
        if symbol != WETH:
            b.add(
                deployer,
                token,
                calldata("mint(address,uint256)", deployer, _MINT_TOKENS),
                gas=_SMALL_GAS,
                label=f"mint {symbol} for V3",
            )
        b.add(
            deployer,
            token,
            calldata("approve(address,uint256)", helper, MAX_UINT),
            gas=_SMALL_GAS,
            label=f"approve {symbol} to the V3 helper",
        )

    pools = []
    for p in planned:
        a, bb = deployment.tokens[p.a].address, deployment.tokens[p.b].address
        (s0, t0), (s1, t1) = sorted(((p.a, a), (p.b, bb)), key=lambda x: int(x[1], 16))
        salt = keccak(encode(["address", "address", "uint24"], [t0, t1, p.fee]))
        address = create2_address(factory, salt, V3_POOL_INIT_CODE_HASH)
        price = sqrt_price_x96(plan.token(s0), plan.token(s1))
        planned_positions = positions(
            p, plan.token(s0), plan.token(s1), get_tick_at_sqrt_ratio(price)
        )
        label = f"V3 {s0}/{s1} {p.fee}"
        b.add(
            deployer,
            factory,
            calldata("createPool(address,address,uint24)", t0, t1, p.fee),
            gas=_POOL_GAS,
            label=f"create {label}",
        )
        b.add(
            deployer,
            address,
            calldata("initialize(uint160)", price),
            gas=_SMALL_GAS,
            label=f"initialize {label}",
        )
        for pos in planned_positions:
            b.add(
                deployer,
                helper,
                calldata(
                    "mint(address,int24,int24,uint128)",
                    address,
                    pos.tick_lower,
                    pos.tick_upper,
                    pos.liquidity,
                ),
                gas=_MINT_GAS,
                label=f"mint [{pos.tick_lower}, {pos.tick_upper}) on {label}",
            )
        pools.append(
            V3PoolInfo(
                address,
                to_checksum_address(t0),
                to_checksum_address(t1),
                s0,
                s1,
                p.fee,
                p.tick_spacing,
                planned_positions,
            )
        )
    latest = await rpc.call("eth_getBlockByNumber", ["latest", False])
    await rpc.call("evm_setBlockGasLimit", [hex(_BIG_BLOCK)])
    try:
        await _send_and_mine(rpc, b)
    finally:
        await rpc.call("evm_setBlockGasLimit", [latest["gasLimit"]])

    answers = await rpc.batch(
        [
            (
                "eth_call",
                [
                    {
                        "to": factory,
                        "data": calldata(
                            "getPool(address,address,uint24)", p.token0, p.token1, p.fee
                        ),
                    },
                    "latest",
                ],
            )
            for p in pools
        ]
    )
    for p, answer in zip(pools, answers, strict=True):
        (got_pool,) = decode_words(["address"], answer)
        if to_checksum_address(got_pool) != p.address:
            raise InitCodeHashMismatch(
                f"V3 factory created {got_pool} where CREATE2 gives {p.address}"
            )
    return V3Market(
        rpc=rpc.url,
        factory=factory,
        quoter=quoter,
        helper=helper,
        pools=tuple(pools),
        owner=deployer,
    )


if __name__ == "__main__":  # regenerate the helper artifact: python -m appliance.devnet._v3
    _HELPER_ARTIFACT.write_text(json.dumps(compile_v3_helper(), indent=1) + "\n")
