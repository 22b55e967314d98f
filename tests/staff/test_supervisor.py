"""The device supervisor against real ``drivers.contract.Device`` subclasses (worker threads and all):
offline then back, flapping debounced, counters persisted, paper warnings, readiness, faults audited."""

from __future__ import annotations

import json
import threading
import time

import pytest

from drivers.contract import CancelToken, Code, Device, DeviceError, DeviceState
from kiosk.audit import AuditTrail
from kiosk.supervisor import (
    COUNTERS_FILE,
    PAPER_ESTIMATE_LOW,
    PAPER_NEAR_END,
    PAPER_OUT,
    StatusChange,
    Supervisor,
)


class Printer(Device):
    """A receipt printer in miniature: can be unplugged, reports its paper sensor, counts paper."""

    device_class = "printer"
    poll_interval = 0.01
    reconnect_initial = 0.01
    reconnect_max = 0.05

    def __init__(self, name: str = "printer") -> None:
        super().__init__(name)
        self.present = threading.Event()
        self.present.set()
        self.paper = "ok"

    def _connect(self) -> None:
        if not self.present.is_set():
            raise DeviceError(Code.DEVICE_NOT_READY, "printer unplugged")

    def _poll(self) -> None:
        if not self.present.is_set():
            raise DeviceError(Code.DEVICE_NOT_READY, "printer unplugged")
        paper = self.paper
        if self.status().fields.get("paper") != paper:
            state = DeviceState.USER_ERROR if paper == "end" else DeviceState.ONLINE
            self._set_status(state, detail="paper out" if paper == "end" else "", paper=paper)

    def print_receipt(self, paper_mm: int):
        def body(token: CancelToken) -> None:
            token.check()
            self.counters.add("receipts_printed")
            self.counters.add("paper_mm", paper_mm)

        return self.submit("print", body, timeout=2)


class Reader(Device):
    device_class = "idcard"
    poll_interval = 0.01
    reconnect_initial = 0.01
    reconnect_max = 0.05

    def __init__(self) -> None:
        super().__init__("idcard")
        self.present = threading.Event()
        self.present.set()

    def _connect(self) -> None:
        if not self.present.is_set():
            raise DeviceError(Code.DEVICE_NOT_READY, "reader unplugged")

    def _poll(self) -> None:
        if not self.present.is_set():
            raise DeviceError(Code.HARDWARE_ERROR, "no answer from 110101199003071234")  # a detail that leaks


def wait_for(predicate, timeout: float = 5.0) -> None:
    end = time.monotonic() + timeout
    while not predicate():
        assert time.monotonic() < end, "condition not reached"
        time.sleep(0.005)


@pytest.fixture
def audit(tmp_path):
    trail = AuditTrail(tmp_path / "audit.sqlite3")
    yield trail
    trail.close()


@pytest.fixture
def opened():
    devices: list[Device] = []

    def open_(device: Device) -> Device:
        devices.append(device)
        device.open()
        return device

    yield open_
    for device in devices:
        device.close()


def audited(audit: AuditTrail, kind_prefix: str = "device.") -> list[tuple[str, dict]]:
    return [(r.kind, dict(r.fields)) for r in audit.tail(1000) if r.kind.startswith(kind_prefix)]


def test_printer_offline_then_back(tmp_path, audit, clock, opened):
    sup = Supervisor(tmp_path, audit, clock=clock)
    changes: list[StatusChange] = []
    sup.subscribe(changes.append)
    printer, reader = Printer(), Reader()
    sup.add(printer, required=True)
    sup.add(reader, required=True)
    assert not sup.overall().ready  # not opened yet
    opened(printer)
    opened(reader)
    wait_for(lambda: sup.overall().ready)

    printer.present.clear()
    wait_for(lambda: sup.health("printer").state is DeviceState.NO_DEVICE)
    readiness = sup.overall()
    assert not readiness.ready and readiness.not_ready == ["printer"]
    health = sup.health("printer")
    assert health.last_error == "no_device: printer unplugged" and health.last_error_at is not None

    printer.present.set()

    def printer_changes():
        return [(c.kind, c.previous_state, c.health.state) for c in changes if c.health.name == "printer"]

    wait_for(lambda: len(printer_changes()) == 3)  # listeners hear of a change just after the board shows it
    assert sup.overall().ready
    assert printer_changes() == [
        ("state", DeviceState.OFFLINE, DeviceState.ONLINE),
        ("state", DeviceState.ONLINE, DeviceState.NO_DEVICE),
        ("state", DeviceState.NO_DEVICE, DeviceState.ONLINE),
    ]
    fault = {"device": "printer", "state": "no_device", "detail": "printer unplugged"}
    assert ("device.fault", fault) in audited(audit)
    assert ("device.recovered", {"device": "printer", "state": "online", "after": "no_device"}) in audited(audit)
    assert audit.verify().ok


def test_optional_device_down_keeps_the_kiosk_ready(tmp_path, clock, opened):
    sup = Supervisor(tmp_path, clock=clock)
    printer, reader = Printer(), Reader()
    sup.add(printer, required=True)
    sup.add(reader, required=False)
    reader.present.clear()
    opened(printer)
    opened(reader)
    wait_for(lambda: sup.health("idcard").state is DeviceState.NO_DEVICE and sup.health("printer").ready)
    readiness = sup.overall()
    assert readiness.ready and readiness.not_ready == []
    report = readiness.to_json()
    assert report["ready"] is True
    assert {d["name"]: d["ready"] for d in report["devices"]} == {"printer": True, "idcard": False}
    json.dumps(report)  # what `kiosk selftest --json` prints


def test_fault_details_are_redacted_before_the_board_and_the_audit(tmp_path, audit, clock, opened):
    sup = Supervisor(tmp_path, audit, clock=clock)
    errors: list[str] = []
    sup.subscribe(lambda change: errors.append(change.health.last_error))
    reader = Reader()
    sup.add(reader, required=True)
    opened(reader)
    wait_for(lambda: sup.health("idcard").ready)
    reader.present.clear()
    wait_for(lambda: any(kind == "device.fault" for kind, _ in audited(audit)))
    fault = next(f for kind, f in audited(audit) if kind == "device.fault")
    assert fault["detail"] == "no answer from 110101********1234"
    assert "hardware_error: no answer from 110101********1234" in errors
    # The device then retries and reports "unplugged"; the raw number never reached the audit trail.
    assert all("110101199003071234" not in r.encode() for r in audit.tail(1000))


def test_flapping_device_is_reported_once_as_unstable_then_settles(tmp_path, audit, clock, opened):
    sup = Supervisor(tmp_path, audit, clock=clock, flap_window_s=60, flap_limit=3)
    changes: list[StatusChange] = []
    sup.subscribe(changes.append)
    printer = Printer()
    sup.add(printer, required=True)
    opened(printer)
    wait_for(lambda: sup.health("printer").state is DeviceState.ONLINE)
    for _ in range(5):  # unplug and replug five times within the window
        printer.present.clear()
        wait_for(lambda: printer.status().state is DeviceState.NO_DEVICE)
        printer.present.set()
        wait_for(lambda: printer.status().state is DeviceState.ONLINE)
    wait_for(lambda: sup.health("printer").state is DeviceState.ONLINE)
    kinds_seen = [c.kind for c in changes]
    assert kinds_seen.count("unstable") == 1 and kinds_seen[-1] == "unstable"  # at the third drop, then quiet
    assert kinds_seen.count("state") >= 4  # the first two replugs were reported as they happened
    health = sup.health("printer")
    assert health.unstable and not health.ready and not sup.overall().ready

    clock.advance(59)
    sup.tick()
    assert sup.health("printer").unstable
    clock.advance(1)
    sup.tick()
    assert [c.kind for c in changes][-1] == "settled" and len(changes) == len(kinds_seen) + 1
    assert changes[-1].health.state is DeviceState.ONLINE and sup.overall().ready
    kinds = [kind for kind, _ in audited(audit)]
    assert kinds.count("device.unstable") == 1 and kinds.count("device.settled") == 1
    assert kinds.count("device.fault") == 2  # the first two unplugs; the flapping ones are folded into "unstable"


def test_one_unplug_and_replug_is_a_fault_and_a_recovery_not_flapping(tmp_path, audit, clock, opened):
    """A reader pulled out passes through several states (hardware_error, no_device, …) and comes back: one drop."""
    sup = Supervisor(tmp_path, audit, clock=clock)
    states: list[DeviceState] = []
    sup.subscribe(lambda change: states.append(change.health.state) if change.kind == "state" else None)
    reader = Reader()
    sup.add(reader, required=True)
    opened(reader)
    wait_for(lambda: sup.health("idcard").ready)
    reader.present.clear()
    wait_for(lambda: sup.health("idcard").state is DeviceState.NO_DEVICE)
    reader.present.set()
    wait_for(lambda: sup.health("idcard").state is DeviceState.ONLINE)
    assert len(set(states)) >= 3  # more than one state change on the way out and back
    health = sup.health("idcard")
    assert not health.unstable and health.ready and sup.overall().ready  # ready at once, not ~70 s later
    kinds = [kind for kind, _ in audited(audit)]
    assert "device.unstable" not in kinds and kinds.count("device.fault") >= 1 and "device.recovered" in kinds


def test_changes_spread_over_time_are_not_flapping(tmp_path, clock, opened):
    sup = Supervisor(tmp_path, clock=clock, flap_window_s=60, flap_limit=3)
    changes: list[StatusChange] = []
    sup.subscribe(changes.append)
    printer = Printer()
    sup.add(printer, required=True)
    opened(printer)
    wait_for(lambda: sup.health("printer").ready)
    for _ in range(3):
        clock.advance(61)
        printer.present.clear()
        wait_for(lambda: sup.health("printer").state is DeviceState.NO_DEVICE)
        clock.advance(61)
        printer.present.set()
        wait_for(lambda: sup.health("printer").state is DeviceState.ONLINE)
    wait_for(lambda: len(changes) == 7)
    assert {c.kind for c in changes} == {"state"}


def test_counters_persist_across_a_restart_and_paper_replaced_resets_paper(tmp_path, audit, clock, opened):
    sup = Supervisor(tmp_path, audit, clock=clock)
    printer = Printer()
    sup.add(printer, required=True)
    opened(printer)
    assert printer.print_receipt(120).result(2).ok
    assert printer.print_receipt(130).result(2).ok
    printer.close()
    sup.close()
    saved = json.loads((tmp_path / COUNTERS_FILE).read_text())
    assert saved["printer"] == {"receipts_printed": 2, "paper_mm": 250}

    again = Supervisor(tmp_path, audit, clock=clock)
    printer2 = Printer()
    again.add(printer2, required=True)
    assert again.health("printer").counters == {"receipts_printed": 2, "paper_mm": 250}
    opened(printer2)
    assert printer2.print_receipt(100).result(2).ok
    assert again.health("printer").counters == {"receipts_printed": 3, "paper_mm": 350}

    again.paper_replaced("printer", actor="op01")
    assert again.health("printer").counters == {"receipts_printed": 3, "paper_mm": 0}
    assert json.loads((tmp_path / COUNTERS_FILE).read_text())["printer"] == {"receipts_printed": 3, "paper_mm": 0}
    assert ("device.paper_replaced", {"device": "printer", "paper_used_mm": 350}) in audited(audit)


def test_counters_are_saved_by_tick_after_the_interval(tmp_path, clock, opened):
    sup = Supervisor(tmp_path, clock=clock, save_interval_s=10)
    printer = Printer()
    sup.add(printer, required=False)
    opened(printer)
    assert printer.print_receipt(80).result(2).ok
    sup.tick()
    assert not (tmp_path / COUNTERS_FILE).exists()
    clock.advance(10)
    sup.tick()
    assert json.loads((tmp_path / COUNTERS_FILE).read_text())["printer"]["paper_mm"] == 80


def test_counters_of_devices_not_added_this_run_are_kept(tmp_path, clock):
    (tmp_path / COUNTERS_FILE).write_text(json.dumps({"camera": {"frames": 9}, "printer": {"paper_mm": 5}}))
    sup = Supervisor(tmp_path, clock=clock)
    sup.add(Printer(), required=True)
    sup.save()
    assert json.loads((tmp_path / COUNTERS_FILE).read_text()) == {"camera": {"frames": 9}, "printer": {"paper_mm": 5}}


@pytest.mark.parametrize("content", ["{broken", "[1, 2]", '{"printer": {"paper_mm": "lots"}}'])
def test_unreadable_counters_file_counts_from_zero(tmp_path, clock, content):
    (tmp_path / COUNTERS_FILE).write_text(content)
    sup = Supervisor(tmp_path, clock=clock)
    sup.add(Printer(), required=True)
    assert sup.health("printer").counters == {}


def test_paper_near_end_from_the_sensor_warns_before_paper_out(tmp_path, audit, clock, opened):
    sup = Supervisor(tmp_path, audit, clock=clock)
    changes: list[StatusChange] = []
    sup.subscribe(changes.append)
    printer = Printer()
    sup.add(printer, required=True)
    opened(printer)
    wait_for(lambda: sup.health("printer").fields.get("paper") == "ok")
    printer.paper = "near_end"
    wait_for(lambda: any(c.kind == "warning" for c in changes))
    warning = next(c for c in changes if c.kind == "warning")
    assert warning.health.warnings == (PAPER_NEAR_END,) and warning.health.state is DeviceState.ONLINE
    assert sup.health("printer").ready  # still printing

    printer.paper = "end"
    wait_for(lambda: [c.health.warnings for c in changes if c.kind == "warning"][-1] == (PAPER_OUT,))
    assert sup.health("printer").state is DeviceState.USER_ERROR and not sup.overall().ready
    warned = [f["warnings"] for kind, f in audited(audit) if kind == "device.warning"]
    assert warned == [[PAPER_NEAR_END], [PAPER_OUT]]  # near end is raised first, before the paper runs out

    printer.paper = "ok"
    wait_for(lambda: sup.health("printer").warnings == ())
    wait_for(lambda: sup.overall().ready)


def test_paper_estimate_warns_when_the_roll_is_nearly_used(tmp_path, audit, clock, opened):
    sup = Supervisor(tmp_path, audit, clock=clock, paper_roll_mm=1000, paper_warn_remaining_mm=300)
    printer = Printer()
    sup.add(printer, required=True)
    opened(printer)
    assert printer.print_receipt(600).result(2).ok
    sup.tick()
    assert sup.health("printer").warnings == ()
    assert printer.print_receipt(100).result(2).ok
    sup.tick()
    assert sup.health("printer").warnings == (PAPER_ESTIMATE_LOW,)
    assert sup.heartbeat()["printer"]["warnings"] == [PAPER_ESTIMATE_LOW]
    sup.paper_replaced()
    assert sup.health("printer").warnings == ()
    assert ("device.warning", {"device": "printer", "warnings": [PAPER_ESTIMATE_LOW], "paper_used_mm": 700}) in (
        audited(audit)
    )


def test_error_events_set_last_error(tmp_path, clock):
    sup = Supervisor(tmp_path, clock=clock)
    printer = Printer()
    sup.add(printer, required=True)
    printer._emit("error", code="invalid_data", detail="bad frame for 13800138000")
    health = sup.health("printer")
    assert health.last_error == "bad frame for 138****8000" and health.state is DeviceState.OFFLINE


def test_a_broken_listener_does_not_stop_the_others(tmp_path, clock, opened):
    sup = Supervisor(tmp_path, clock=clock)
    seen: list[StatusChange] = []

    def broken(change: StatusChange) -> None:
        raise RuntimeError("listener bug")

    sup.subscribe(broken)
    sup.subscribe(seen.append)
    printer = Printer()
    sup.add(printer, required=True)
    opened(printer)
    wait_for(lambda: seen and seen[-1].health.state is DeviceState.ONLINE)


def test_duplicate_names_and_closing(tmp_path, clock):
    sup = Supervisor(tmp_path, clock=clock)
    printer = Printer()
    sup.add(printer, required=True)
    with pytest.raises(ValueError):
        sup.add(Printer(), required=True)
    sup.close()
    printer._set_status(DeviceState.ONLINE)  # no longer watched
    assert sup.health("printer").state is DeviceState.OFFLINE


def test_heartbeat_shape(tmp_path, clock):
    sup = Supervisor(None, clock=clock)
    sup.add(Printer(), required=True)
    assert sup.heartbeat() == {"printer": {"state": "offline", "ready": False, "unstable": False, "warnings": []}}
