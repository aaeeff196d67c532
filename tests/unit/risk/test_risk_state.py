"""The risk state file: atomic round trip, absent file, unreadable file."""

from __future__ import annotations

import pytest

from appliance.modes import Mode
from appliance.risk import RiskState, RiskStateError, RiskStateFile


def test_round_trip(tmp_path):
    store = RiskStateFile.in_dir(tmp_path / "data")
    assert store.load() is None
    state = RiskState(mode=Mode.REDUCED, clean_shutdown=False, breakers='{"x": 1}', saved_at=5.0)
    store.save(state)
    assert store.load() == state
    assert (store.path.stat().st_mode & 0o777) == 0o600
    assert not store.path.with_suffix(".tmp").exists()


@pytest.mark.parametrize(
    "text",
    [
        "",
        "{",
        '{"mode": "BOGUS", "clean_shutdown": true, "breakers": null}',
        '{"mode": null}',
        '{"mode": null, "clean_shutdown": true, "breakers": 3}',
        # wrong types that used to pass as a first start or a clean stop
        '{"mode": null, "clean_shutdown": "no", "breakers": null}',
        '{"mode": 2, "clean_shutdown": true, "breakers": null}',
        '{"mode": null, "clean_shutdown": true, "breakers": null, "saved_at": "x"}',
        '[{"mode": null}]',
        '{"mode": "NORMAL", "clean_shutdown": tr',  # truncated
    ],
)
def test_unreadable(tmp_path, text):
    (tmp_path / "risk_state.json").write_text(text)
    with pytest.raises(RiskStateError, match="unreadable"):
        RiskStateFile.in_dir(tmp_path).load()


def test_garbage_bytes_are_unreadable(tmp_path):
    (tmp_path / "risk_state.json").write_bytes(bytes(range(256)) * 4)
    with pytest.raises(RiskStateError, match=r"risk_state\.json"):
        RiskStateFile.in_dir(tmp_path).load()
