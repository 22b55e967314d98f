"""The heartbeat's health fields (kiosk.health, issue 17): restarts since boot, start-up faults, safe mode, and the
fields built from the running parts, sent through the real client to the platform simulator, which checks them."""

from __future__ import annotations

import json
import time
from types import SimpleNamespace

import pytest
import requests

from drivers.sim.platform import PlatformSimulator
from kiosk import health as health_module
from kiosk.audit import AuditTrail
from kiosk.health import Health
from kiosk.heartbeat import Heartbeat
from kiosk.platform import PlatformClient
from kiosk.platform.outbox import Outbox


def test_restarts_count_within_one_boot_and_start_again_after_a_reboot(tmp_path, monkeypatch):
    boot = tmp_path / "boot_id"
    boot.write_text("boot-a\n")
    monkeypatch.setattr(health_module, "BOOT_ID", boot)
    assert [Health(tmp_path).record_start() for _ in range(3)] == [0, 1, 2]
    boot.write_text("boot-b\n")
    assert Health(tmp_path).record_start() == 0


def test_a_start_fault_is_remembered_by_the_next_start(tmp_path):
    first = Health(tmp_path)
    first.fault("font_fallback", "wqy-microhei.ttc unreadable; using NotoSansCJK")
    later = Health(tmp_path)
    assert later.last_start_fault is not None and later.last_start_fault.code == "font_fallback"
    assert later.in_service and later.report()["last_start_fault"]["code"] == "font_fallback"


def test_safe_mode_and_staff_closing_are_out_of_service_with_a_reason(tmp_path):
    health = Health(tmp_path)
    assert health.report()["in_service"] is True and health.report()["service_reason"] == ""
    assert health.report(staff_closed=True)["service_reason"] == "staff"
    health.out_of_service("site_file_refused", "/etc/tongban/kiosk.toml: devices.printer.uri: field required")
    report = health.report(staff_closed=True)
    assert report["in_service"] is False and report["service_reason"].startswith("site_file_refused: ")


def test_a_corrupt_state_file_starts_counting_again(tmp_path):
    (tmp_path / "state").mkdir()
    (tmp_path / "state" / health_module.STARTS_FILE).write_bytes(b"\x00garbage")
    health = Health(tmp_path)
    assert health.record_start() == 0 and health.last_start_fault is None


@pytest.fixture
def platform(tmp_path):
    sim = PlatformSimulator(tmp_path / "platform.sqlite3", token="hb-token")
    sim.start()
    yield sim
    sim.stop()


def test_every_health_field_reaches_the_platform(tmp_path, platform):
    client = PlatformClient(platform.url, "hb-token", "K0001")
    outbox = Outbox(tmp_path / "outbox", client, "K0001")
    audit = AuditTrail(tmp_path / "audit.sqlite3")
    try:
        outbox.start()
        outbox.enqueue_evaluation(5, ["fast"], application_no="TB20240601000001")  # unknown: refused for good
        deadline = time.monotonic() + 30
        while not outbox.failed() and time.monotonic() < deadline:
            time.sleep(0.05)
        audit.record("kiosk.started", "system")
        (tmp_path / "fleet").mkdir()
        refusal = {"version": 7, "reason": "signature refused", "at": "2026-12-06T23:00:00+00:00"}
        (tmp_path / "fleet" / "state.json").write_text(json.dumps({"last_refusal": refusal}))
        health = Health(tmp_path)
        health.record_start()
        health.fault("outbox_quarantined", "outbox.sqlite3 moved to quarantine/")
        hardware = SimpleNamespace(outbox=outbox, audit=audit, devices={}, supervisor=None)
        beat = Heartbeat(client, None, outbox, health=lambda: health.report(hardware))
        assert beat.send_once().ok
        (body,) = platform.heartbeats()
        assert body["jobs_failed"] == 1 and body["jobs_refused"] == 0 and body["outbox_alarm"] is None
        assert body["audit_head"] == {"seq": audit.head()[0], "hash": audit.head()[1]}
        assert body["in_service"] is True and body["service_reason"] == ""
        assert body["restarts"] == 0 and body["last_start_fault"]["code"] == "outbox_quarantined"
        assert body["disk_free_mb"] > 0
        assert body["fleet"] == {"last_refusal": refusal, "last_revert": None}
        assert body["printer"] == {"paper": "unknown", "counters": {}}
    finally:
        outbox.close()
        audit.close()
        client.close()


@pytest.mark.parametrize(
    "bad",
    [{"in_service": "yes"}, {"jobs_failed": -1}, {"audit_head": {"seq": "x"}}, {"printer": {"paper": "low"}},
     {"fleet": {"last_refusal": {"version": 1}}}, {"last_start_fault": "font"}, {"disk_free_mb": 1.5}],
)  # fmt: skip
def test_the_simulator_refuses_malformed_health_fields(platform, bad):
    body = {"at": "2026-12-06T23:00:00+08:00", "software_version": "1", "config_version": "local", "devices": {},
            "outbox_depth": 0, **bad}  # fmt: skip
    headers = {"Authorization": "Bearer hb-token", "X-Kiosk-Id": "K0001"}
    answer = requests.post(platform.url + "/v1/kiosks/K0001/heartbeat", json=body, headers=headers, timeout=10)
    assert answer.status_code == 422 and set(bad) <= set(answer.json()["error"]["fields"])


class _Printer:
    name = "printer"

    def __init__(self, state: str, paper: str) -> None:
        self._status = SimpleNamespace(state=state, fields={"paper": paper})
        self.counters = SimpleNamespace(snapshot=lambda: {"receipts_printed": 12, "paper_mm": 3400})

    def status(self):
        return self._status


class _Supervisor:
    def __init__(self, warnings: list[str]) -> None:
        self._warnings = warnings

    def heartbeat(self):
        return {"printer": {"state": "online", "warnings": self._warnings}}


@pytest.mark.parametrize(
    ("state", "sensor", "warnings", "paper"),
    [("online", "ok", [], "ok"), ("online", "near_end", [], "near_end"), ("user_error", "end", [], "out"),
     ("online", "ok", ["paper_estimate_low"], "near_end"), ("user_error", "ok", ["paper_out"], "out"),
     ("no_device", "ok", [], "unknown")],
)  # fmt: skip
def test_the_printer_paper_state_comes_from_the_sensor_and_the_estimate(tmp_path, state, sensor, warnings, paper):
    hardware = SimpleNamespace(devices={"printer": _Printer(state, sensor)}, supervisor=_Supervisor(warnings),
                               outbox=None, audit=None)  # fmt: skip
    printer = Health(tmp_path).report(hardware)["printer"]
    assert printer == {"paper": paper, "counters": {"receipts_printed": 12, "paper_mm": 3400}}
