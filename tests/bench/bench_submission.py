"""Submission benchmark (plain script): candidate -> bundle sent at 3 relays, and relay failure ->
skipped, on the real devnet (Anvil + Uniswap V2) with relay processes of our own.

The figure that counts is the production path: ``Pipeline.handle`` in bundle mode with the head,
the simulation and gas estimate of the exact ``execute_paying`` calldata on the pending block, the
checks, the bid, the signature, the write-ahead through the real store task (``run_store``,
durable commit), ``eth_callBundle`` at the 3 relays, then ``eth_sendBundle`` to all 3 at once
(each relay a separate process: tests/integration/submission/relay_server.py), over the
supervisor's pool (``open_rpc_pool``).

Relay failure -> skip: one relay of three fails (a dead port: connection refused; or one that
never answers: the request timeout); after 3 failures in a row it is skipped. Printed: the rounds
and wall time from its first failure until it is skipped, and a round's latency while it fails
and once it is skipped.

Run: .venv/bin/python tests/bench/bench_submission.py [--quick]   (BENCH_QUICK=1 also;
BENCH_MINUTES=m runs the latency loop for m minutes instead of a fixed count)
"""

from __future__ import annotations

import argparse
import dataclasses
import os
import socket
import statistics
import sys
import tempfile
import time
from contextlib import ExitStack
from pathlib import Path

import httpx
import trio

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "integration" / "execution"))
sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "integration" / "submission"))

from exec_helpers import deploy_executors, exec_config, make_candidate, order_for, plant
from relay_server import RelayProcess
from submission_helpers import SEARCHER_KEY, write_searcher_key

from appliance.chain import open_rpc_pool
from appliance.devnet import start_devnet
from appliance.execution import NonceManager, Pipeline, load_signer
from appliance.safety import SafetyLatch
from appliance.store.writer import WriteAhead, run_store
from appliance.submission.identity import SearcherIdentity
from appliance.submission.relay import RelayClient, RelaySet

N = 200
SKIP_ROUNDS = 20


def _pct(samples: list[float], q: float) -> float:
    s = sorted(samples)
    return s[min(len(s) - 1, int(q * len(s)))]


def _dead_url() -> str:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    return f"http://127.0.0.1:{port}"  # nothing listens there: connection refused


async def candidate_to_bundle(dn, inv: str, relay_urls: list[str], minutes: float | None):
    await plant(dn, 2)
    cand = await make_candidate(dn, 2)
    signer = load_signer(dn.key_file)
    identity = SearcherIdentity(SEARCHER_KEY)
    samples: list[float] = []
    rounds: list[float] = []  # diagnosis: the relay part alone (callBundle x3 + sendBundle x3)
    with tempfile.TemporaryDirectory() as d:
        root = Path(d)
        cfg = exec_config(
            dn,
            inv,
            submit="bundle",
            relays=tuple(relay_urls),
            searcher_key_file=write_searcher_key(root),
            coinbase_share=0.5,
        )
        cfg = dataclasses.replace(
            cfg,
            storage=dataclasses.replace(
                cfg.storage, data_dir=root / "store", runtime_dir=root / "run"
            ),
        )
        async with (
            trio.open_nursery() as nursery,
            httpx.AsyncClient(trust_env=False) as http,
            open_rpc_pool(cfg.chain) as rpc,
        ):
            store_send, store_recv = trio.open_memory_channel(64)
            await nursery.start(run_store, cfg, store_recv)

            async def write_ahead(u) -> None:  # the supervisor's write-ahead: through the store
                request = WriteAhead(u)
                await store_send.send(request)
                await request.wait()

            async def emit(_u) -> None:
                return None

            latch = SafetyLatch(root / "latch")
            relays = RelaySet(
                [RelayClient(u, identity, http=http) for u in relay_urls], latch=latch
            )
            nonce = await rpc.get_transaction_count(signer.address, "pending")
            pipe = Pipeline(
                cfg,
                rpc,
                latch=latch,
                write_ahead=write_ahead,
                emit=emit,
                executor=inv,
                sender=signer.address,
                chain_id=cfg.chain.chain_id,
                signer=signer,
                nonces=NonceManager(nonce),
                relays=relays,
                observe=emit,
            )
            stop = time.monotonic() + minutes * 60 if minutes else None
            i = 0
            while (stop is not None and time.monotonic() < stop) or (stop is None and i < N + 10):
                order = dataclasses.replace(order_for(cand), order_id=f"bench-{i}")
                t0 = time.perf_counter()
                flight = await pipe.handle(order)
                dt = (time.perf_counter() - t0) * 1000
                assert flight is not None, "the bundle was dropped"
                assert flight.coinbase_wei > 0 and flight.target == flight.block_sent + 1
                t1 = time.perf_counter()
                await relays.call_bundle([flight.raw], flight.target, flight.block_sent)
                await relays.send_bundle([flight.raw], flight.target)
                if i >= 10:  # warm-up
                    samples.append(dt)
                    rounds.append((time.perf_counter() - t1) * 1000)
                pipe.nonces = NonceManager(flight.nonce)  # never built: the next order reuses it
                i += 1
            health = relays.health()
            await store_send.aclose()
    assert all(h.ok == h.sent for h in health), [h.failures for h in health]
    return samples, rounds


async def failure_to_skip(good_urls: list[str], bad_url: str, timeout_s: float, tmp: Path):
    """Rounds of eth_sendBundle to 2 good relays + 1 failing one until it is skipped."""
    identity = SearcherIdentity(SEARCHER_KEY)
    async with httpx.AsyncClient(trust_env=False) as http:
        clients = [
            RelayClient(u, identity, http=http, timeout_s=timeout_s) for u in [*good_urls, bad_url]
        ]
        relays = RelaySet(clients, latch=SafetyLatch(tmp), base_backoff_s=600.0)
        raw = bytes.fromhex("02" + "00" * 100)  # the relays only hold it (no build)
        failing, skipped = [], []
        t_first = t_skip = None
        for _ in range(SKIP_ROUNDS + 3):
            t0 = time.perf_counter()
            answers = await relays.send_bundle([raw], 10**9)
            dt = (time.perf_counter() - t0) * 1000
            t_first = t_first if t_first is not None else t0
            if clients[-1].host in answers:
                failing.append(dt)
                if t_skip is None and clients[-1] not in relays.available():
                    t_skip = (time.perf_counter() - t_first) * 1000
            else:
                skipped.append(dt)
        bad = [h for h in relays.health()][:-1]
        assert all(h.ok == h.sent for h in bad), [h.last_error for h in bad]
    return len(failing), t_skip, failing, skipped


def main() -> None:
    global N
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="30 orders instead of 200")
    args = ap.parse_args()
    quick = args.quick or bool(os.environ.get("BENCH_QUICK"))
    minutes = (
        None
        if quick
        else (float(os.environ["BENCH_MINUTES"]) if os.environ.get("BENCH_MINUTES") else None)
    )
    if quick:
        N = 30
    with start_devnet(seed=1) as dn, ExitStack() as stack:
        inv, _flash = trio.run(deploy_executors, dn)
        relays = [stack.enter_context(RelayProcess(dn.rpc)) for _ in range(3)]
        hang = stack.enter_context(RelayProcess(dn.rpc, mode="hang"))
        urls = [r.url for r in relays]
        lat, rounds = trio.run(candidate_to_bundle, dn, inv, urls, minutes)
        with tempfile.TemporaryDirectory() as d:
            dead = trio.run(failure_to_skip, urls[:2], _dead_url(), 2.0, Path(d) / "a")
            hung = trio.run(failure_to_skip, urls[:2], hang.url, 0.5, Path(d) / "b")
    print("submission benchmark (Anvil on loopback, real Uniswap V2 pairs, relay processes)")
    print(
        f"\ncandidate -> bundle sent at 3 relays, {len(lat)} orders (head + simulation + estimate"
        " of execute_paying + bid + sign + store write-ahead + eth_callBundle x3 + eth_sendBundle x3)"
    )
    print(f"  p50 {statistics.median(lat):7.2f} ms   p99 {_pct(lat, 0.99):7.2f} ms")
    print(
        f"  of which the relay rounds alone (diagnosis): p50 {statistics.median(rounds):7.2f} ms"
        f"   p99 {_pct(rounds, 0.99):7.2f} ms"
    )
    print(f"  load average during the run: {os.getloadavg()[0]:.1f} (2 cores)")
    print("\nrelay failure -> skipped (2 good relays + 1 failing; skip after 3 failures in a row)")
    for name, (rounds, t_skip, failing, skipped) in (
        ("dead port (connection refused)", dead),
        ("no answer (request timeout 0.5 s)", hung),
    ):
        print(
            f"  {name:34s} skipped after {rounds} rounds, {t_skip:8.1f} ms from the first failure;"
            f" round p50 while failing {statistics.median(failing):7.2f} ms, once skipped"
            f" {statistics.median(skipped):6.2f} ms"
        )


if __name__ == "__main__":
    main()
