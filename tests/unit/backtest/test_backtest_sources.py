"""Market sources of the backtest: reserves CSVs (the real mainnet series included), merging."""

from __future__ import annotations

import gzip
import itertools
from pathlib import Path

import pytest

from appliance.backtest.errors import BacktestError, BadMarketData
from appliance.backtest.sources import merge_series, read_reserves_csv

REAL = (
    Path(__file__).resolve().parents[3].parent
    / "shared"
    / "data"
    / ("uniswap-v2-usdc-weth-reserves.csv.gz")
)


def test_the_real_usdc_weth_series_loads_exactly():
    rows = list(read_reserves_csv(REAL))
    assert len(rows) == 38_164
    assert rows[0] == (18908895, 52034452364125, 22864731471058335602880)
    assert rows[-1][0] == 18947060
    gaps = [b - a for (a, *_), (b, *_) in itertools.pairwise(rows) if b - a != 1]
    assert len(gaps) == 2  # the README's "two small gaps"
    blocks = list(merge_series({"0xpool": rows}))
    changed = len(blocks) / len(rows)
    assert 0.2 < changed < 0.35  # "about 27 % of the blocks change the reserves"
    # every kept block is a change, with exact integers
    assert all(isinstance(r, int) for b in blocks for r in b.reserves["0xpool"])


def _write(tmp_path: Path, text: str, name: str = "r.csv") -> Path:
    path = tmp_path / name
    if name.endswith(".gz"):
        path.write_bytes(gzip.compress(text.encode()))
    else:
        path.write_text(text)
    return path


@pytest.mark.parametrize(
    ("text", "needle"),
    [
        ("block,r0,r1\n1,2,3\n", "header"),
        ("blockNumber,reserve0,reserve1\n1,2\n", ":2: expected 3 fields"),
        ("blockNumber,reserve0,reserve1\n1,2,x\n", ":2: not integers"),
        ("blockNumber,reserve0,reserve1\n1,2,3.5\n", ":2: not integers"),
        ("blockNumber,reserve0,reserve1\n5,2,3\n5,2,3\n", ":3: block 5 does not follow block 5"),
        ("blockNumber,reserve0,reserve1\n1,-2,3\n", "uint112"),
        (f"blockNumber,reserve0,reserve1\n1,{2**112},3\n", "uint112"),
    ],
)
def test_bad_rows_name_the_file_and_line(tmp_path, text, needle):
    path = _write(tmp_path, text)
    with pytest.raises(BadMarketData) as err:
        list(read_reserves_csv(path))
    assert needle in str(err.value) and str(path) in str(err.value)
    assert "\n" not in str(err.value)


def test_missing_and_corrupt_files_are_one_line(tmp_path):
    with pytest.raises(BacktestError, match="cannot read"):
        list(read_reserves_csv(tmp_path / "absent.csv"))
    bad = tmp_path / "bad.csv.gz"
    bad.write_bytes(b"not gzip at all")
    with pytest.raises(BadMarketData, match="unreadable"):
        list(read_reserves_csv(bad))


def test_merge_keeps_only_changes_in_block_order(tmp_path):
    a = [(1, 10, 10), (2, 10, 10), (3, 11, 9)]
    b = [(2, 5, 5), (3, 5, 5), (4, 6, 4)]
    blocks = list(merge_series({"A": a, "B": b}))
    assert [(x.number, x.reserves) for x in blocks] == [
        (1, {"A": (10, 10)}),
        (2, {"B": (5, 5)}),
        (3, {"A": (11, 9)}),
        (4, {"B": (6, 4)}),
    ]
