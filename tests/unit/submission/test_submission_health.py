"""Relay health reaches the screen's inputs and the metrics: relays as breakers in the state file
(open = skipped), their counts in the journal, counters per relay and outcome."""

from __future__ import annotations

from appliance.events import RelayHealthChanged, RelayStatus, RiskUpdated
from appliance.metrics import Metrics
from appliance.store.journal import Journal
from appliance.store.recorder import Recorder
from appliance.store.statefile import StateReader, StateWriter

HEALTH = RelayHealthChanged(
    (
        RelayStatus("relay.a:443", sent=5, ok=5),
        RelayStatus(
            "relay.b",
            sent=4,
            ok=1,
            unavailable=2,
            malformed=1,
            skipped=True,
            last_error="relay relay.b: eth_sendBundle: HTTP 503",
        ),
    )
)


def test_relay_health_is_in_the_state_file_and_the_journal(tmp_path):
    with Journal(tmp_path / "journal.sqlite") as j, StateWriter(tmp_path / "state.bin") as state:
        rec = Recorder(j, state)
        rec.handle(HEALTH)
        rec.handle(
            RiskUpdated(breakers={"trade": "closed"}, pnl_today=0, pnl_session=0, equity_peak=0)
        )  # risk's breakers do not wipe the relays
        rec.commit(rec.take_batch())
        rec.publish()
        snap = StateReader(tmp_path / "state.bin").snapshot()
        assert snap.breakers == {
            "trade": "closed",
            "relay:relay.a:443": "closed",
            "relay:relay.b": "open",
        }
        saved = j.load_state("relays.last")
        assert saved["relay.b"]["unavailable"] == 2 and saved["relay.b"]["skipped"] is True
        assert saved["relay.a:443"]["ok"] == 5


def test_relay_counts_are_exported_as_counters():
    metrics = Metrics(process=False)
    metrics.observe(HEALTH)
    metrics.observe(HEALTH)  # the same counts again add nothing
    text = metrics.render().decode()
    assert 'arb_relay_requests_total{outcome="unavailable",relay="relay.b"} 2.0' in text
    assert 'arb_relay_requests_total{outcome="ok",relay="relay.a:443"} 5.0' in text
    assert 'arb_relay_skipped{relay="relay.b"} 1.0' in text
