"""The journal's schema as numbered migrations.

Amounts in wei are stored as **TEXT decimal strings** (``"-1234"``), never REAL: a uint112 reserve
or an 18-decimals P&L overflows SQLite's 64-bit INTEGER, and REAL loses digits. Gas units, nonces,
block numbers and timestamps fit 64 bits and are INTEGER; ``at`` columns are unix time REAL.
Sums of wei are done in Python with ``int()`` (exact), not with SQL ``SUM`` (it would go REAL).

SD wear shaped the two big tables: ``reserves`` and ``opportunities`` have no secondary index (each
index page is rewritten by nearly every commit). Their rowids grow with the block number (rows are
appended in block order; a reorg first deletes the tail), so ranges by block are found by a binary
search on rowid; ``opportunities.path`` is a JSON list of pool addresses (tokens follow from
``pools``), its gross profit is ``amount_out - amount_in``.

Tables (version 1)::

    schema_version (version, applied_at, description)    one row per applied migration
    blocks         (number PK, hash, parent_hash, timestamp, base_fee, seen_at)
    tokens         (address PK, symbol, decimals)
    denied_tokens  (address PK, reason, at)                hostile tokens, never traded
    pools          (id PK, address UNIQUE, dex, token0, token1, fee_bps, discovered_at)
                   id - 1 is the pool's slot in the state file's price array
    reserves       (block, pool_id, reserve0, reserve1)   only changes; appended in block order
    opportunities  (id PK, at, block, base_token, path, amount_in, amount_out,
                    gross_profit, net_profit, gas_estimate, gas_cost, decision, reason, detail,
                    order_id)   decision: candidate | approved | rejected
    trades         (order_id PK, opportunity_id, sender, tx_hash, nonce, status, mode, amount_in,
                    expected_profit, realized_profit, gas_used, gas_cost, block_sent,
                    block_mined, reason, created_at, updated_at)
                   status: signed | sent | mined | reverted | dropped | paper
    mode_changes   (id PK, at, old, new, reason, source)   append-only (triggers refuse changes)
    alerts         (id PK, at, priority, key, text, extra)
    state          (key PK, value JSON, updated_at)        persisted breaker/risk state

Version 2 adds to ``trades``: ``net_profit`` (base-token wei after gas), ``slippage_bps``,
``base_token`` (the unit of the trade's profit columns) and ``value_ref`` (the net after gas in
the *reference* token, the wrapped native coin gas is priced in: the one unit P&L is summed in).
The reference token's address is kept in ``state`` under ``store.reference_token``.

Version 3 adds market intelligence (:mod:`appliance.intel`)::

    arbitrages (id PK, at, block, tx_hash, kind, searcher, contract, start_token, profit, gas,
                pools, victims)   kind: ours | arbitrage | sandwich; profit in start_token wei
                                  (negative for a losing one), gas in native wei; pools and
                                  victims JSON lists; appended in block order, no index;
                                  a reorg deletes the replaced blocks' rows, retention the old

Version 4 adds ``pools.kind`` (``uniswap_v2`` | ``uniswap_v3``, :mod:`appliance.market.kinds`;
rows from before are V2): an opportunity's ``path`` names its pools, so each leg's kind is
``pools.kind`` of its address.

Version 5 adds every swap seen on the tracked pools (:class:`~appliance.events.SwapsSeen`)::

    swaps      (id PK, block, tx_hash, log_index, pool_id, zero_for_one, amount_in, amount_out,
                sender, recipient, tx_sender)
               compact for the SD-write budget (the busiest table after reserves): hashes and
               addresses are raw BLOBs (32 and 20 bytes, not 66/42 characters of hex), the pool
               is its ``pools.id``, the tokens follow from it (``zero_for_one``: token0 went in);
               amounts are TEXT decimals like every wei; ``tx_sender`` (tx.from) NULL when the
               block body was not read. Appended in block order, no index; a reorg deletes the
               replaced blocks' rows; ``storage.swaps_retention_blocks`` bounds it (pruned a
               chunk per commit, never one long delete; 0 journals no swaps); written at most
               every ``storage.swaps_commit_interval_s``, never with a trade's immediate commit

Version 6 replaces ``swaps`` with one row per block (the SD-write budget: a row per swap cost
about 160 bytes, each written twice, to the WAL and by the checkpoint)::

    swap_blocks (block PK, n, swaps)
               ``swaps`` a BLOB of the block's swaps in log order
               (:mod:`appliance.store.swap_codec`: each transaction hash and address once, the
               pool as its ``pools.id``, amounts as exact two's-complement bytes), ``n`` their
               count. A reorg deletes the replaced blocks' rows; ``storage.swaps_retention_blocks``
               bounds it (pruned a chunk of blocks per commit). The old ``swaps`` rows (at most
               the retention's day of swaps) are dropped by the migration, not converted.

Opportunity fates are not stored: ``arb-appliance why`` derives them from ``opportunities``,
``trades`` and ``arbitrages`` when asked (no extra SD writes per block).
"""

from __future__ import annotations

__all__ = ["JOURNAL_NAME", "MIGRATIONS", "SCHEMA_VERSION"]

JOURNAL_NAME = "journal.sqlite"

_V1 = """
CREATE TABLE IF NOT EXISTS blocks (
    number INTEGER PRIMARY KEY,
    hash TEXT NOT NULL,
    parent_hash TEXT NOT NULL,
    timestamp INTEGER NOT NULL,
    base_fee TEXT,
    seen_at REAL NOT NULL
);
CREATE TABLE IF NOT EXISTS tokens (
    address TEXT PRIMARY KEY,
    symbol TEXT NOT NULL,
    decimals INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS denied_tokens (
    address TEXT PRIMARY KEY,
    reason TEXT NOT NULL,
    at REAL NOT NULL
);
CREATE TABLE IF NOT EXISTS pools (
    id INTEGER PRIMARY KEY,
    address TEXT NOT NULL UNIQUE,
    dex TEXT NOT NULL,
    token0 TEXT,
    token1 TEXT,
    fee_bps INTEGER,
    discovered_at REAL NOT NULL
);
CREATE TABLE IF NOT EXISTS reserves (
    block INTEGER NOT NULL,
    pool_id INTEGER NOT NULL,
    reserve0 TEXT NOT NULL,
    reserve1 TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS opportunities (
    id INTEGER PRIMARY KEY,
    at REAL NOT NULL,
    block INTEGER NOT NULL,
    base_token TEXT NOT NULL,
    path TEXT NOT NULL,
    amount_in TEXT NOT NULL,
    amount_out TEXT NOT NULL,
    gross_profit TEXT NOT NULL,
    net_profit TEXT NOT NULL,
    gas_estimate INTEGER NOT NULL,
    gas_cost TEXT NOT NULL,
    decision TEXT NOT NULL DEFAULT 'candidate',
    reason TEXT NOT NULL DEFAULT '',
    detail TEXT NOT NULL DEFAULT '',
    order_id TEXT
);
CREATE TABLE IF NOT EXISTS trades (
    order_id TEXT PRIMARY KEY,
    opportunity_id INTEGER,
    sender TEXT,
    tx_hash TEXT,
    nonce INTEGER,
    status TEXT NOT NULL,
    mode TEXT NOT NULL,
    amount_in TEXT NOT NULL,
    expected_profit TEXT NOT NULL,
    realized_profit TEXT,
    gas_used INTEGER,
    gas_cost TEXT,
    block_sent INTEGER,
    block_mined INTEGER,
    reason TEXT NOT NULL DEFAULT '',
    created_at REAL NOT NULL,
    updated_at REAL NOT NULL
);
CREATE INDEX IF NOT EXISTS trades_status ON trades (status);
CREATE INDEX IF NOT EXISTS trades_created ON trades (created_at);
CREATE TABLE IF NOT EXISTS mode_changes (
    id INTEGER PRIMARY KEY,
    at REAL NOT NULL,
    old TEXT NOT NULL,
    new TEXT NOT NULL,
    reason TEXT NOT NULL,
    source TEXT NOT NULL
);
CREATE TRIGGER IF NOT EXISTS mode_changes_no_update BEFORE UPDATE ON mode_changes
BEGIN SELECT RAISE(ABORT, 'mode_changes is append-only'); END;
CREATE TRIGGER IF NOT EXISTS mode_changes_no_delete BEFORE DELETE ON mode_changes
BEGIN SELECT RAISE(ABORT, 'mode_changes is append-only'); END;
CREATE TABLE IF NOT EXISTS alerts (
    id INTEGER PRIMARY KEY,
    at REAL NOT NULL,
    priority TEXT NOT NULL,
    key TEXT NOT NULL,
    text TEXT NOT NULL,
    extra TEXT NOT NULL DEFAULT '{}'
);
CREATE INDEX IF NOT EXISTS alerts_at ON alerts (at);
CREATE TABLE IF NOT EXISTS state (
    key TEXT PRIMARY KEY,
    value TEXT NOT NULL,
    updated_at REAL NOT NULL
);
"""

_V2 = """
ALTER TABLE trades ADD COLUMN net_profit TEXT;
ALTER TABLE trades ADD COLUMN slippage_bps REAL;
ALTER TABLE trades ADD COLUMN base_token TEXT;
ALTER TABLE trades ADD COLUMN value_ref TEXT;
"""

_V3 = """
CREATE TABLE IF NOT EXISTS arbitrages (
    id INTEGER PRIMARY KEY,
    at REAL NOT NULL,
    block INTEGER NOT NULL,
    tx_hash TEXT NOT NULL,
    kind TEXT NOT NULL,
    searcher TEXT NOT NULL,
    contract TEXT,
    start_token TEXT NOT NULL,
    profit TEXT NOT NULL,
    gas TEXT NOT NULL,
    pools TEXT NOT NULL,
    victims TEXT NOT NULL DEFAULT '[]'
);
"""

_V4 = """
ALTER TABLE pools ADD COLUMN kind TEXT NOT NULL DEFAULT 'uniswap_v2';
"""

_V5 = """
CREATE TABLE IF NOT EXISTS swaps (
    id INTEGER PRIMARY KEY,
    block INTEGER NOT NULL,
    tx_hash BLOB NOT NULL,
    log_index INTEGER NOT NULL,
    pool_id INTEGER NOT NULL,
    zero_for_one INTEGER NOT NULL,
    amount_in TEXT NOT NULL,
    amount_out TEXT NOT NULL,
    sender BLOB NOT NULL,
    recipient BLOB NOT NULL,
    tx_sender BLOB
);
"""

_V6 = """
DROP TABLE IF EXISTS swaps;
CREATE TABLE IF NOT EXISTS swap_blocks (
    block INTEGER PRIMARY KEY,
    n INTEGER NOT NULL,
    swaps BLOB NOT NULL
);
"""

# (version, description, SQL script). Append only; never edit an applied migration.
MIGRATIONS: tuple[tuple[int, str, str], ...] = (
    (1, "initial schema", _V1),
    (
        2,
        "trades: net profit after gas (exact), slippage vs expected (bps), base token and the "
        "net in the reference token (exact)",
        _V2,
    ),
    (
        3,
        "market intelligence: arbitrages and sandwiches seen on the tracked pools (ours and "
        "others')",
        _V3,
    ),
    (4, "pools: the pool kind (uniswap_v2 | uniswap_v3)", _V4),
    (5, "market intelligence: every swap on the tracked pools (bounded retention)", _V5),
    (
        6,
        "market intelligence: swaps as one compact row per block (swap_blocks; the swaps rows "
        "of the retention window are dropped)",
        _V6,
    ),
)

SCHEMA_VERSION = MIGRATIONS[-1][0]
