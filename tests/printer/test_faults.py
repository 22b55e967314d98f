"""Every emulator fault fails the job with the right code and a progress report; the next job prints after recovery."""

from __future__ import annotations

import pytest

from drivers.contract import Code, DeviceState
from drivers.printer.sample import standard_receipt


def print_job(printer, timeout: float = 10.0):
    return printer.print_receipt(standard_receipt(), timeout=timeout).result(timeout + 10)


def recover_and_print(printer, emulator, wait_for) -> None:
    emulator.clear_faults()
    wait_for(lambda: printer.status().state is DeviceState.ONLINE)
    before = emulator.finished  # the job cut short above is finished (the emulator serves one connection at a time)
    done = print_job(printer)
    assert done.ok, done.detail
    job = emulator.wait_for_job(before + 1)
    assert job.complete and "申请人：张*明" in job.lines


@pytest.mark.parametrize(("fault", "code", "state", "field", "value"), [
    ("paper_out", Code.PAPER_OUT, DeviceState.USER_ERROR, "paper", "end"),
    ("cover_open", Code.COVER_OPEN, DeviceState.USER_ERROR, "cover_open", True),
    ("offline", Code.DEVICE_NOT_READY, DeviceState.OFFLINE, "online", False),
    ("cutter_error", Code.HARDWARE_ERROR, DeviceState.HARDWARE_ERROR, "cutter_error", True),
])
def test_fault_before_the_job_fails_it_and_nothing_prints(printer, emulator, wait_for, fault, code, state, field,
                                                          value):
    emulator.set_fault(fault)
    wait_for(lambda: printer.status().fields.get(field) == value)
    assert printer.status().state is state
    done = print_job(printer)
    assert done.code is code
    assert printer.last_job.code is code and printer.last_job.bytes_sent == 0
    assert emulator.jobs == []
    assert printer.counters.snapshot()[f"failures.{code}"] == 1
    recover_and_print(printer, emulator, wait_for)


def test_paper_runs_out_part_way_and_the_report_says_how_far(printer, emulator, wait_for):
    events = []
    printer.subscribe(events.append)
    emulator.set_fault("paper_out", 6)
    done = print_job(printer)
    assert done.code is Code.PAPER_OUT
    report = printer.last_job
    assert report.lines_confirmed == 5 and report.lines_sent == 6 and 0 < report.bytes_sent < report.bytes_total
    assert "5 of" in done.detail
    partial = emulator.wait_for_jobs(1)[0]
    assert not partial.complete and partial.fault == "paper_out" and len(partial.lines) == 6
    assert any(e.kind == "job_failed" and e.payload["code"] == "paper_out" for e in events)
    assert printer.status().fields["paper"] == "end"
    recover_and_print(printer, emulator, wait_for)


def test_cover_opened_during_the_job(printer, emulator, wait_for):
    emulator.set_fault("slow", 0.05)
    command = printer.print_receipt(standard_receipt(), timeout=20)
    wait_for(lambda: emulator._head.lines_fed >= 3)
    emulator.set_fault("cover_open")
    done = command.result(30)
    assert done.code is Code.COVER_OPEN
    assert 0 < printer.last_job.lines_confirmed < printer.last_job.lines_total
    recover_and_print(printer, emulator, wait_for)


def test_no_answer_is_reported_apart_from_no_paper(printer, emulator, wait_for):
    emulator.set_fault("no_answer")
    wait_for(lambda: printer.status().state is DeviceState.NO_DEVICE)
    assert printer.status().fields["answering"] is False
    assert printer.status().fields["paper"] == "unknown"
    done = print_job(printer)
    assert done.code is Code.DEVICE_NOT_READY and "answer" in done.detail
    recover_and_print(printer, emulator, wait_for)


def test_slow_printer_times_out_then_recovers(printer, emulator, wait_for):
    emulator.set_fault("slow", 0.2)
    done = print_job(printer, timeout=1.0)
    assert done.code is Code.TIMEOUT
    assert printer.last_job.lines_confirmed < printer.last_job.lines_total
    recover_and_print(printer, emulator, wait_for)


def test_connection_reset_mid_job_then_reconnects(printer, emulator, wait_for):
    emulator.set_fault("reset", 300)
    done = print_job(printer)
    assert done.code is Code.DEVICE_NOT_READY
    assert 0 < printer.last_job.bytes_sent < printer.last_job.bytes_total
    assert emulator.wait_for_jobs(1)[0].fault == "reset"
    recover_and_print(printer, emulator, wait_for)


def test_power_cycle_reconnects_and_prints(printer, emulator, wait_for):
    emulator.power_cycle(off_seconds=0.3)
    wait_for(lambda: printer.status().state is not DeviceState.ONLINE)
    wait_for(lambda: printer.status().state is DeviceState.ONLINE)
    recover_and_print(printer, emulator, wait_for)


def test_paper_near_end_warns_but_prints(printer, emulator, wait_for):
    emulator.set_fault("paper_near_end")
    wait_for(lambda: printer.status().fields.get("paper") == "near_end")
    assert printer.status().state is DeviceState.ONLINE
    assert print_job(printer).ok
    assert emulator.wait_for_jobs(1)[0].complete


def test_emulator_status_bytes_keep_the_fixed_bits(emulator):
    for fault in ("paper_out", "cover_open", "offline", "cutter_error", "paper_near_end"):
        emulator.set_fault(fault)
    for n in (1, 2, 3, 4):
        value = emulator.status_byte(n)
        assert value & 0x12 == 0x12 and value & 0x81 == 0
    assert emulator.status_byte(3) & 0x08 and emulator.status_byte(4) & 0x60 and emulator.status_byte(2) & 0x04


def test_unknown_fault_name_is_refused(emulator):
    with pytest.raises(ValueError):
        emulator.set_fault("on_fire")


def test_closed_printer_fails_jobs_instead_of_dropping_them(emulator, make_printer):
    dev = make_printer(emulator.address)
    assert dev.print_receipt(standard_receipt()).result(5).code is Code.DEVICE_NOT_READY
    dev = make_printer("tcp://127.0.0.1:1")
    dev.open()
    try:
        assert dev.print_receipt(standard_receipt(), timeout=2).result(5).code is Code.DEVICE_NOT_READY
    finally:
        dev.close()
