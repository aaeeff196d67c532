"""Pool discovery with the journal as its cache.

Scanning ``getPair`` for every token pair of every factory is the slowest part of a start
(thousands of calls at a few hundred pools). The journal already holds every discovered token and
pool; with a fingerprint of what was scanned (chain, factories, watched tokens) and the block it
was scanned at, a restart reads them back and only asks the factories' ``PairCreated`` logs for
pools created since. A changed config (another DEX, another token list) scans again.
"""

from __future__ import annotations

import hashlib
import json
import logging
from pathlib import Path
from typing import Any

from appliance.chain.discovery import discover, pairs_created
from appliance.config import AppConfig
from appliance.events import PoolInfo, TokenInfo
from appliance.store.journal import JOURNAL_NAME, Journal
from appliance.store.writer import SaveState

__all__ = ["discover_cached", "watched_tokens"]

log = logging.getLogger(__name__)

STATE_KEY = "discovery"


def watched_tokens(cfg: AppConfig) -> tuple[str, ...]:
    return tuple(dict.fromkeys((*cfg.tokens.base, *(cfg.tokens.allow or ()))))


def fingerprint(cfg: AppConfig) -> str:
    what = {
        "chain_id": cfg.chain.chain_id,
        "dex": sorted((d.name, d.factory, d.fee_bps) for d in cfg.dex),
        **(
            {"kinds": sorted((d.name, d.kind, list(d.fee_tiers)) for d in cfg.dex)}
            if any(d.kind != "uniswap_v2" for d in cfg.dex)
            else {}
        ),  # a V2-only config keeps its fingerprint (and its cache) across the upgrade
        "tokens": sorted(watched_tokens(cfg)),
    }
    return hashlib.sha256(json.dumps(what, sort_keys=True).encode()).hexdigest()


def _cached(
    cfg: AppConfig, journal_path: Path, fp: str
) -> tuple[tuple[TokenInfo, ...], tuple[PoolInfo, ...], int] | None:
    if not journal_path.exists():
        return None
    journal = Journal(journal_path)
    try:
        saved = journal.load_state(STATE_KEY)
        if not isinstance(saved, dict) or saved.get("fingerprint") != fp:
            return None
        fees = {d.name: d.fee_bps for d in cfg.dex}
        kinds = {d.name: d.kind for d in cfg.dex}
        watched = set(watched_tokens(cfg))
        tokens = tuple(
            TokenInfo(a, s, d)
            for a, s, d in journal.conn.execute("SELECT address, symbol, decimals FROM tokens")
            if a in watched
        )
        pools = tuple(
            PoolInfo(a, dex, t0, t1, fee if fee is not None else fees[dex], kind)
            for a, dex, t0, t1, fee, kind in journal.conn.execute(
                "SELECT address, dex, token0, token1, fee_bps, kind FROM pools ORDER BY id"
            )
            if dex in fees and kinds[dex] == kind and t0 in watched and t1 in watched
        )
        return tokens, pools, int(saved["block"])
    finally:
        journal.close()


async def discover_cached(
    rpc: Any, cfg: AppConfig
) -> tuple[tuple[TokenInfo, ...], tuple[PoolInfo, ...], SaveState]:
    """Tokens and pools to watch, plus the record that stores the cache key (send it to the store)."""
    fp = fingerprint(cfg)
    head = await rpc.block_number()
    cached = _cached(cfg, Path(cfg.storage.data_dir) / JOURNAL_NAME, fp)
    if cached is not None:
        tokens, pools, block = cached
        new = (
            await pairs_created(
                rpc, cfg.dex, watched_tokens(cfg), from_block=block + 1, to_block=head
            )
            if head > block
            else ()
        )
        known = {p.address for p in pools}
        pools = pools + tuple(p for p in new if p.address not in known)
        log.info("pools from the journal (scanned at block %d) + %d created since", block, len(new))
    else:
        tokens, pools = await discover(rpc, cfg.dex, watched_tokens(cfg), block=head)
    return tokens, pools, SaveState(STATE_KEY, {"fingerprint": fp, "block": head})
