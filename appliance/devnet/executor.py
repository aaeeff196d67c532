"""Put the appliance's own executor on a devnet: deployed with the appliance key and funded.

Used by ``arb-appliance devnet``/``demo`` (so the written config runs as is) and by tests.
"""

from __future__ import annotations

from eth_abi import encode
from eth_utils import function_signature_to_4byte_selector

from appliance.config import load_config
from appliance.devnet.devnet import Devnet
from appliance.devnet.gas import reach_floor

__all__ = ["deploy_funded_executor", "install_executor", "inventory_for"]

_TRANSFER = function_signature_to_4byte_selector("transfer(address,uint256)")


def inventory_for(dn: Devnet) -> dict[str, int]:
    """Base-token inventory the executor starts with: 50 WETH and 100,000 of the stable base."""
    cfg = load_config(dn.config_path)
    amounts = {}
    for token in cfg.tokens.base:
        info = next(t for t in dn.tokens.values() if t.address == token)
        whole = 50 if info.symbol == "WETH" else 100_000
        amounts[token] = whole * 10**info.decimals
    return amounts


async def deploy_funded_executor(dn: Devnet, *, inventory: dict[str, int] | None = None) -> str:
    """Deploy the executor from the appliance account, transfer ``inventory`` to it, return it."""
    from appliance.chain.rpc import RpcClient
    from appliance.execution import deploy_executor, load_signer
    from appliance.execution.deploy import v3_factory_of

    cfg = load_config(dn.config_path)
    signer = load_signer(dn.key_file)
    manual = dn.block_time is None  # interval mining is left alone; manual mining is eased
    if dn.gas is not None:  # the signer prices on the latest block: let it be at the floor
        await reach_floor(dn, dn.gas)
    if manual:
        await dn.set_automine(True)
    try:
        async with RpcClient(dn.rpc) as client:
            executor = await deploy_executor(
                client, signer, cfg.execution, v3_factory=v3_factory_of(cfg.dex)
            )
        for token, amount in (inventory if inventory is not None else inventory_for(dn)).items():
            data = _TRANSFER + encode(["address", "uint256"], [executor, amount])
            await dn.send_tx("appliance", token, "0x" + data.hex())
    finally:
        if manual:
            await dn.set_automine(False)
    return executor


async def install_executor(dn: Devnet) -> str:
    """Deploy and fund the executor and write its address into the devnet's config file."""
    executor = await deploy_funded_executor(dn)
    text = dn.config_path.read_text()
    if "\nexecutor = " not in text:
        text = text.replace("[account]\n", f'[account]\nexecutor = "{executor}"\n', 1)
        dn.config_path.write_text(text)
    load_config(dn.config_path)  # still valid
    return executor
