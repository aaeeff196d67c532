"""``[[dex]] kind`` and ``fee_tiers``: a V3 DEX needs its tiers, a V2 DEX must not have any; a
mistake is one line on stderr naming the file and the DEX table, exit code 2."""

from __future__ import annotations

from pathlib import Path

import pytest
from config_texts import CHAIN, TOKENS, UNI_V2

from appliance.cli import main
from appliance.config import load_config

UNI_V3 = """
[[dex]]
name = "univ3"
factory = "0x1F98431c8aD98523631AE4a59f267346ea31F984"
{v3}
"""
BASE = CHAIN + UNI_V2 + UNI_V3 + TOKENS


def test_a_v3_dex_with_its_tiers_loads(tmp_path: Path) -> None:
    path = tmp_path / "c.toml"
    path.write_text(BASE.format(v3='kind = "uniswap_v3"\nfee_tiers = [500, 3000, 2500]'))
    cfg = load_config(path)
    assert [(d.kind, d.fee_tiers) for d in cfg.dex] == [
        ("uniswap_v2", ()),
        ("uniswap_v3", (500, 3000, 2500)),
    ]


@pytest.mark.parametrize(
    ("v3", "reason"),
    [
        ('kind = "uniswap_v3"', "needs fee_tiers"),
        ('kind = "uniswap_v3"\nfee_tiers = []', "needs fee_tiers"),
        ("fee_tiers = [500]", 'for kind = "uniswap_v3" only'),
        ('kind = "uniswap_v3"\nfee_tiers = [0]', "fee tier 0 is not in"),
        ('kind = "uniswap_v3"\nfee_tiers = [1000000]', "fee tier 1000000 is not in"),
        ('kind = "uniswap_v3"\nfee_tiers = [550]', "not a whole number of basis points"),
        ('kind = "uniswap_v3"\nfee_tiers = [500, 500]', "lists a tier twice"),
        ('kind = "uniswap_v4"', "uniswap_v4"),
    ],
)
def test_a_bad_dex_kind_is_one_line_naming_the_table(tmp_path: Path, capsys, v3, reason) -> None:
    path = tmp_path / "c.toml"
    path.write_text(BASE.format(v3=v3))
    code = main(["check-config", "--config", str(path)])
    err = capsys.readouterr().err
    lines = err.strip().splitlines()
    assert code == 2 and len(lines) == 1, err
    assert f"{path}: dex[1]" in lines[0] and reason in lines[0], lines[0]
    assert "Traceback" not in err
