"""Hostile tokens on Anvil (fee-on-transfer, honeypot, rebasing) are deny-listed by the probe."""

from __future__ import annotations

from pathlib import Path

import pytest
import trio
import trio.testing
from eth_abi import encode
from eth_utils import to_checksum_address

from appliance.chain import open_rpc_pool
from appliance.config import ChainConfig, load_config
from appliance.devnet._abi import calldata, decode_words
from appliance.events import PoolInfo, PoolsDiscovered, ReservesUpdated, TokenDenied, TokenInfo
from appliance.strategy import probe_token, run_market

pytestmark = pytest.mark.devnet

HERE = Path(__file__).parent


def compile_token(name: str) -> bytes:
    import vyper

    out = vyper.compile_code((HERE / name).read_text(), output_formats=["bytecode"])
    return bytes.fromhex(out["bytecode"].removeprefix("0x"))


async def add_pools(dn, token: str, *, n_dexes: int = 2, before_mint=None) -> list[PoolInfo]:
    """Token/WETH pools with liquidity on ``n_dexes`` DEXes (``before_mint(pair)`` may prepare)."""
    deployer = dn.address_of("deployer")
    await dn.send_tx("deployer", dn.weth, calldata("deposit()"), value=100 * 10**18)
    pools = []
    for dex in dn.dexes[:n_dexes]:
        await dn.send_tx(
            "deployer", dex.factory, calldata("createPair(address,address)", token, dn.weth)
        )
        (pair,) = decode_words(
            ["address"],
            await dn.eth_call(dex.factory, calldata("getPair(address,address)", token, dn.weth)),
        )
        pair = to_checksum_address(pair)
        if before_mint is not None:
            await before_mint(pair)
        await dn.send_tx("deployer", token, calldata("transfer(address,uint256)", pair, 10**24))
        await dn.send_tx(
            "deployer", dn.weth, calldata("transfer(address,uint256)", pair, 10 * 10**18)
        )
        await dn.send_tx("deployer", pair, calldata("mint(address)", deployer))
        t0, t1 = (token, dn.weth) if token.lower() < dn.weth.lower() else (dn.weth, token)
        pools.append(PoolInfo(pair, dex.name, t0, t1, dex.fee_bps))
    return pools


async def add_fot_pools(dn) -> tuple[str, list[PoolInfo]]:
    """Deploy the FOT token and a FOT/WETH pool with liquidity on two DEXes."""
    fot = await dn.deploy("deployer", compile_token("fot_token.vy") + encode(["uint256"], [10**27]))
    return fot, await add_pools(dn, fot)


async def probe_first_pool(rpc, dn, token: str, pool: PoolInfo):
    reserves = await dn.reserves(pool.address)
    reserve = reserves[0 if pool.token0 == token else 1]
    return await probe_token(rpc.eth_call, token=token, pair=pool.address, reserve=reserve)


async def test_honeypot_and_rebasing_tokens_are_denied(devnet):
    dn = devnet
    supply = encode(["uint256"], [10**27])
    honeypot = await dn.deploy("deployer", compile_token("honeypot_token.vy") + supply)

    async def exempt(pair: str) -> None:  # the pair may sell to buyers; buyers may not sell
        await dn.send_tx("deployer", honeypot, calldata("set_exempt(address,bool)", pair, True))

    honeypot_pools = await add_pools(dn, honeypot, n_dexes=1, before_mint=exempt)
    rebasing = await dn.deploy("deployer", compile_token("rebase_token.vy") + supply)
    rebasing_pools = await add_pools(dn, rebasing, n_dexes=1)
    await dn.send_tx("deployer", rebasing, calldata("rebase(uint256)", 9 * 10**17))  # -10 %
    async with open_rpc_pool(ChainConfig(chain_id=dn.chain_id, rpc=(dn.rpc,))) as rpc:
        denied = await probe_first_pool(rpc, dn, honeypot, honeypot_pools[0])
        assert denied is not None and denied.reason.startswith("transfer_blocked"), denied
        denied = await probe_first_pool(rpc, dn, rebasing, rebasing_pools[0])
        assert denied is not None and denied.reason.startswith("rebasing"), denied


async def test_fee_on_transfer_pools_are_deny_listed_and_honest_tokens_pass(devnet):
    dn = devnet
    fot, fot_pools = await add_fot_pools(dn)
    chain = ChainConfig(chain_id=dn.chain_id, rpc=(dn.rpc,))
    async with open_rpc_pool(chain) as rpc:
        # the probe, directly: the FOT token is caught, every devnet token passes
        denied = await probe_first_pool(rpc, dn, fot, fot_pools[0])
        assert denied is not None and denied.reason.startswith("fee_on_transfer"), denied
        all_reserves = await dn.all_reserves()
        for symbol, info in dn.tokens.items():
            p = next(p for p in dn.pools if info.address in (p.token0, p.token1))
            r = all_reserves[p.address][0 if p.token0 == info.address else 1]
            assert (
                await probe_token(rpc.eth_call, token=info.address, pair=p.address, reserve=r)
                is None
            ), symbol

        # the market task probes new tokens itself and journals the denial
        cfg = load_config(dn.config_path)
        events_send, events_recv = trio.open_memory_channel(16)
        cand_send, _cand_recv = trio.open_memory_channel(16)
        rec_send, rec_recv = trio.open_memory_channel(16)
        tokens = (*dn.tokens.values(), TokenInfo(fot, "FOT", 18))
        async with trio.open_nursery() as nursery:
            detector = await nursery.start(
                lambda task_status=trio.TASK_STATUS_IGNORED: run_market(
                    cfg,
                    events_recv,
                    cand_send,
                    rec_send,
                    eth_call=rpc.eth_call,
                    task_status=task_status,
                )
            )
            await events_send.send(PoolsDiscovered(tuple(tokens), (*dn.pools, *fot_pools)))
            await trio.testing.wait_all_tasks_blocked()
            all_reserves.update({p.address: await dn.reserves(p.address) for p in fot_pools})
            block = await dn.block_number()
            fot_cycles_before = sum(
                1
                for cid in range(len(detector.cycles))
                for leg in detector.cycles.legs(cid, detector.state)
                if leg.token_in == fot
            )
            await events_send.send(ReservesUpdated(block, "0x" + "22" * 32, all_reserves, True))
            with trio.fail_after(30):
                record = await rec_recv.receive()
            assert isinstance(record, TokenDenied) and record.token == fot
            assert record.reason.startswith("fee_on_transfer")
            await events_send.aclose()
        assert fot_cycles_before > 0
        assert fot in detector.state.denied
        assert set(detector.state.denied) == {fot}  # no honest token was denied
        cycles = detector.cycles
        assert all(
            leg.token_in != fot
            for cid in range(len(cycles))
            for leg in cycles.legs(cid, detector.state)
        )
