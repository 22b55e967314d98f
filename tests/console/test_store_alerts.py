"""The store and the alert rules on SQLite and on a private PostgreSQL: every rule opens and closes as it should."""

from __future__ import annotations

import json
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from kiosk.console import fleet_sim
from kiosk.console.alerts import Thresholds
from kiosk.console.heartbeat import facts, validate
from kiosk.console.store import Store


class Clock:
    def __init__(self) -> None:
        self.now = 1_800_000_000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def fleet(db_url: str) -> Any:
    clock = Clock()
    store = Store(db_url, Thresholds(default_interval_s=60.0), clock=clock)
    fleet_sim.register(store, ["K1", "K2"], "pilot", "城南")

    def beat(kiosk_id: str = "K1", advance: float = 60.0, **fields: Any) -> list[tuple[str, str]]:
        clock.now += advance
        body = fleet_sim.heartbeat(**fields)
        events = store.ingest([(kiosk_id, body, json.dumps(body))])
        return [(e.kind, e.alert["rule"]) for e in events]

    yield store, clock, beat
    store.close()


def open_rules(store: Store, kiosk_id: str = "K1") -> set[str]:
    return {a["rule"] for a in store.alerts(kiosk_id=kiosk_id)}


def printer(state: str = "online", *warnings: str) -> dict[str, Any]:
    devices = fleet_sim.heartbeat()["devices"]
    devices["printer"] = {"state": state, "ready": state == "online", "unstable": False, "warnings": list(warnings)}
    return devices


def test_paper_out_opens_with_the_heartbeat_that_says_so_and_closes_with_a_new_roll(fleet):
    store, _clock, beat = fleet
    assert beat() == []
    assert beat(printer={"paper": "out", "counters": {"paper_mm": 80000}}) == [("opened", "paper_out")]
    assert beat(printer={"paper": "out"}) == []  # one alert, not one per heartbeat
    assert open_rules(store) == {"paper_out"}
    assert beat(printer={"paper": "ok"}) == [("closed", "paper_out")]
    # the supervisor's device warning says the same thing (a kiosk of an older release)
    assert beat(devices=printer("user_error", "paper_out")) == [("opened", "paper_out")]
    kiosk = next(k for k in store.kiosks() if k["id"] == "K1")
    assert kiosk["state"] == "attention" and kiosk["alerts"] == ["paper_out"]


def test_device_lost_names_the_device(fleet):
    store, _clock, beat = fleet
    assert beat(devices=printer("no_device")) == [("opened", "device_lost")]
    assert store.alerts()[0]["detail"] == "printer: no_device"
    assert beat() == [("closed", "device_lost")]


def test_outbox_not_draining_after_five_heartbeats_without_shrinking(fleet):
    _store, _clock, beat = fleet
    for depth in (3, 4, 4, 5):
        assert beat(outbox_depth=depth) == []
    assert beat(outbox_depth=5) == [("opened", "outbox_stuck")]
    assert beat(outbox_depth=4) == [("closed", "outbox_stuck")]  # it drains again
    # the kiosk's own alarm (credentials refused) opens it at once
    assert beat(outbox_depth=1, outbox_alarm="credentials refused") == [("opened", "outbox_stuck")]


def test_out_of_service_carries_the_reason_and_sets_the_state(fleet):
    store, _clock, beat = fleet
    assert beat(in_service=False, service_reason="startup: site_file_refused") == [("opened", "out_of_service")]
    kiosk = next(k for k in store.kiosks() if k["id"] == "K1")
    assert kiosk["state"] == "out_of_service" and kiosk["service_reason"] == "startup: site_file_refused"
    assert beat(in_service=True, service_reason="") == [("closed", "out_of_service")]


def test_restart_loop_three_restarts_in_fifteen_minutes(fleet):
    _store, _clock, beat = fleet
    assert beat(restarts=0) == []
    assert beat(restarts=1) == []
    assert beat(restarts=2) == []
    assert beat(restarts=3) == [("opened", "restart_loop")]
    for _ in range(15):
        events = beat(restarts=3)
    assert ("closed", "restart_loop") in events or events == []
    assert beat(advance=900, restarts=3) in ([("closed", "restart_loop")], [])
    assert beat(restarts=0) == []  # a reboot starts the count again: not a restart


def test_audit_head_going_backwards_stays_open_until_acknowledged(fleet):
    store, _clock, beat = fleet
    assert beat(audit_head={"seq": 10, "hash": "aa"}) == []
    assert beat(audit_head={"seq": 12, "hash": "bb"}) == []
    assert beat(audit_head={"seq": 7, "hash": "cc"}) == [("opened", "audit_backwards")]
    assert beat(audit_head={"seq": 8, "hash": "dd"}) == []  # latching: still open
    assert store.alerts()[0]["detail"] == "12 → 7"
    # the same sequence number with another hash is a rewritten trail too
    alert = store.alerts()[0]
    assert store.acknowledge(alert["id"], "alice")["acked_by"] == "alice"
    assert open_rules(store) == set()
    assert beat(audit_head={"seq": 8, "hash": "ee"}) == [("opened", "audit_backwards")]


def test_silent_after_three_missed_heartbeats_and_back_with_the_next_one(fleet):
    store, clock, beat = fleet
    beat(advance=0)
    beat(advance=20)
    beat(advance=20)  # the kiosk beats every 20 s
    clock.now += 50
    assert store.sweep_silent() == []
    clock.now += 15
    assert [(e.kind, e.alert["rule"]) for e in store.sweep_silent()] == [("opened", "silent")]
    assert store.sweep_silent() == []
    assert next(k for k in store.kiosks() if k["id"] == "K1")["state"] == "silent"
    assert beat(advance=1) == [("closed", "silent")]


def test_acknowledging_an_alert_keeps_it_open_until_the_condition_clears(fleet):
    store, _clock, beat = fleet
    beat(printer={"paper": "out"})
    alert = store.alerts()[0]
    store.acknowledge(alert["id"], "bob")
    assert store.alerts()[0]["acked_by"] == "bob"
    assert beat(printer={"paper": "ok"}) == [("closed", "paper_out")]
    assert store.acknowledge(alert["id"], "bob") is None  # closed: nothing to acknowledge


def test_history_is_kept_for_the_retention_and_pruned_after_it(fleet):
    store, clock, beat = fleet
    for _ in range(5):
        beat()
    clock.now += 86400
    beat(kiosk_id="K2")
    assert len(store.kiosk("K1")["history"]) == 5
    assert store.prune(retention_s=3600) == 5
    assert store.kiosk("K1")["history"] == [] and len(store.kiosk("K2")["history"]) == 1
    assert next(k for k in store.kiosks() if k["id"] == "K1")["beats"] == 5  # the latest state stays


def test_unknown_fields_are_stored_as_sent(fleet):
    store, _clock, beat = fleet
    beat(future_field={"nested": [1, 2]}, fleet={"last_refusal": {"version": 13, "reason": "bad signature"}})
    kiosk = store.kiosk("K1")
    assert kiosk["last"]["future_field"] == {"nested": [1, 2]}
    assert kiosk["refusal"] == {"version": 13, "reason": "bad signature"}


_json = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=8),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=6), inner, max_size=3),
    max_leaves=12,
)


@settings(max_examples=300, deadline=None)
@given(
    st.dictionaries(
        st.sampled_from(
            [
                "at",
                "devices",
                "outbox_depth",
                "config_version",
                "software_version",
                "printer",
                "fleet",
                "audit_head",
                "in_service",
                "restarts",
                "x",
            ]
        ),
        _json,
    )
)
def test_any_json_object_is_either_refused_with_fields_or_read_without_error(body):
    base = fleet_sim.heartbeat()
    merged = {**base, **body}
    for candidate in (body, merged):
        errors = validate(candidate)
        if not errors:
            facts(candidate)  # never raises on a valid body, whatever the optional fields hold
        else:
            assert all(isinstance(v, str) for v in errors.values())


@pytest.fixture(scope="module")
def mqtt_store(tmp_path_factory: pytest.TempPathFactory) -> Any:
    store = Store(f"sqlite:///{tmp_path_factory.mktemp('mqtt') / 'c.db'}")
    fleet_sim.register(store, ["K1"])
    yield store
    store.close()


@settings(max_examples=300, deadline=None)
@given(payload=st.binary(max_size=400) | _json.map(lambda v: json.dumps(v).encode()))
def test_any_mqtt_payload_is_refused_with_a_reason_or_taken(mqtt_store, payload):
    from kiosk.console.mqtt import refusal

    kiosk_id, body, reason = refusal(mqtt_store, "tongban/heartbeat/K1", payload)
    assert kiosk_id == "K1" and (body is None) == bool(reason)


def test_a_well_formed_mqtt_envelope_is_taken(mqtt_store):
    from kiosk.console.mqtt import refusal

    good = {"kiosk_id": "K1", "token": fleet_sim.token_of("K1"), "heartbeat": fleet_sim.heartbeat()}
    assert refusal(mqtt_store, "tongban/heartbeat/K1", json.dumps(good).encode())[2] == ""
