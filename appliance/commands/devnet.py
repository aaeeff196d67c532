"""``arb-appliance devnet``: a local Anvil market with Uniswap V2 pools and noise traders.

Prints one JSON document on stdout (addresses, no keys, plus ``config_path``), then
"devnet ready" on stderr, and runs until Ctrl-C/SIGTERM; Anvil and every child stop with it.
"""

from __future__ import annotations

import argparse
import functools
import json
import signal
import sys
from pathlib import Path

import trio

from appliance.devnet.gas import DEMO_BASE_FEE_GWEI
from appliance.errors import UserError

CORE_POOLS = 24


def add_market_arguments(parser: argparse.ArgumentParser, *, data_dir_help: str) -> None:
    """The market options ``devnet`` and ``demo`` share."""
    parser.add_argument(
        "--seed", type=int, default=1, help="market and swap-sequence seed (default 1)"
    )
    parser.add_argument(
        "--block-time", type=float, default=1.0, metavar="S", help="seconds per block (default 1)"
    )
    parser.add_argument(
        "--data-dir",
        type=Path,
        default=None,
        metavar="D",
        help=data_dir_help,
    )
    parser.add_argument(
        "--pools",
        type=int,
        default=CORE_POOLS,
        metavar="N",
        help=f"number of pools (at least {CORE_POOLS}; more adds extra tokens)",
    )
    parser.add_argument(
        "--no-searchers",
        action="store_true",
        help="no rival searchers (a router triangle runner, a cross-DEX contract, a sandwicher)",
    )
    parser.add_argument(
        "--base-fee-gwei",
        type=float,
        default=DEMO_BASE_FEE_GWEI,
        metavar="G",
        help=f"mainnet-like gas: the base fee never falls below G gwei and the noise traders tip "
        f"(default {DEMO_BASE_FEE_GWEI:g}; 0: Anvil's own base fee, which decays to about 0)",
    )
    parser.add_argument(
        "--real-prices",
        type=Path,
        default=None,
        metavar="CSV",
        help="the first DEX's WETH/USDC pool follows this recorded mainnet USDC/WETH series "
        "(blockNumber,reserve0,reserve1; e.g. ../shared/data/uniswap-v2-usdc-weth-reserves.csv.gz)",
    )


def add_arguments(parser: argparse.ArgumentParser) -> None:
    add_market_arguments(
        parser, data_dir_help="where to write the config and key (default: a temporary directory)"
    )
    parser.add_argument("--port", type=int, default=None, help="Anvil port (default: a free one)")
    parser.add_argument("--no-simulator", action="store_true", help="no noise-trader swaps")


def real_price_series(args: argparse.Namespace):
    """The ``--real-prices`` series, read and checked before anything starts (None without)."""
    if args.real_prices is None:
        return None
    from appliance.devnet.price_follower import load_price_series

    return load_price_series(args.real_prices)


def check_args(args: argparse.Namespace) -> None:
    if args.block_time is not None and not 0.05 <= args.block_time <= 600:
        raise UserError(
            f"--block-time must be between 0.05 and 600 seconds, not {args.block_time!r}"
        )
    if args.pools < CORE_POOLS:
        raise UserError(f"--pools must be at least {CORE_POOLS}, not {args.pools!r}")
    if not 0 <= args.base_fee_gwei <= 10_000:
        raise UserError(f"--base-fee-gwei must be between 0 and 10000, not {args.base_fee_gwei!r}")
    if args.port is not None and not 1 <= args.port <= 65535:
        raise UserError(f"--port must be between 1 and 65535, not {args.port!r}")


def devnet_gas(args: argparse.Namespace):
    """The ``--base-fee-gwei`` setting as :class:`~appliance.devnet.gas.DevnetGas` (None at 0)."""
    from appliance.devnet.gas import DevnetGas

    return DevnetGas.of_gwei(args.base_fee_gwei) if args.base_fee_gwei > 0 else None


def raise_on_sigterm() -> None:
    """SIGTERM before Trio takes over (during deployment) unwinds like Ctrl-C: cleanup runs."""

    def handler(signum, frame):
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, handler)


def main(args: argparse.Namespace) -> int:
    from appliance.devnet import start_devnet
    from appliance.devnet.service import (
        first_appliance_error,
        run_devnet_market,
        stop_signals,
        wait_for_stop_signal,
    )

    check_args(args)
    series = real_price_series(args)
    raise_on_sigterm()
    with start_devnet(
        seed=args.seed,
        block_time=args.block_time,
        data_dir=args.data_dir,
        n_pools_extra=args.pools - CORE_POOLS,
        with_v3=True,  # Uniswap V3 pools beside the V2 ones (after them: same V2 addresses)
        port=args.port,
        gas=devnet_gas(args),
    ) as dn:
        from appliance.devnet.executor import install_executor

        executor = trio.run(install_executor, dn)
        doc = dn.to_json() | {
            "executor": executor,
            "config_path": str(dn.config_path),
            "key_file": str(dn.key_file),
        }

        async def serve() -> None:
            with stop_signals() as signals:
                async with trio.open_nursery() as nursery:
                    await nursery.start(
                        functools.partial(
                            run_devnet_market,
                            dn,
                            seed=args.seed,
                            simulator=not args.no_simulator,
                            searchers=not args.no_searchers,
                            real_prices=series,
                        )
                    )
                    print(json.dumps(doc, indent=2), flush=True)
                    print("devnet ready", file=sys.stderr, flush=True)
                    await wait_for_stop_signal(signals)
                    nursery.cancel_scope.cancel()

        try:
            trio.run(serve)
        except BaseExceptionGroup as group:
            raise first_appliance_error(group) from None
    return 0
