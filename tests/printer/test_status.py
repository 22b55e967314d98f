"""DLE EOT decoding: every bit of every table, fixed bits checked, and what each status means for a job."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from drivers.contract import Code, DeviceState
from drivers.printer import status as s
from drivers.printer.status import PrinterStatus, StatusByteError

OK = 0x12


def test_queries():
    assert [s.query(n) for n in (1, 2, 3, 4)] == [b"\x10\x04\x01", b"\x10\x04\x02", b"\x10\x04\x03", b"\x10\x04\x04"]
    with pytest.raises(ValueError):
        s.query(5)


@pytest.mark.parametrize(("bit", "field"), [(2, "drawer_high"), (3, "offline"), (5, "waiting_recovery"),
                                            (6, "feed_button")])
def test_eot1_printer_status_bits(bit, field):
    decoded = s.decode_printer(OK | 1 << bit)
    assert decoded[field] is True
    assert not any(v for k, v in decoded.items() if k != field)
    assert not any(s.decode_printer(OK).values())


@pytest.mark.parametrize(("bit", "field"), [(2, "cover_open"), (3, "feeding"), (5, "stopped_paper_end"),
                                            (6, "error")])
def test_eot2_offline_cause_bits(bit, field):
    decoded = s.decode_offline(OK | 1 << bit)
    assert decoded[field] is True
    assert not any(v for k, v in decoded.items() if k != field)
    assert not any(s.decode_offline(OK).values())


@pytest.mark.parametrize(("bit", "field"), [(3, "cutter_error"), (5, "unrecoverable"), (6, "auto_recoverable")])
def test_eot3_error_cause_bits(bit, field):
    decoded = s.decode_error(OK | 1 << bit)
    assert decoded[field] is True
    assert not any(v for k, v in decoded.items() if k != field)
    assert not any(s.decode_error(OK).values())


@pytest.mark.parametrize(("bits", "level"), [(0x00, "ok"), (0x04, "near_end"), (0x08, "near_end"),
                                             (0x0C, "near_end"), (0x20, "end"), (0x40, "end"), (0x60, "end"),
                                             (0x6C, "end")])
def test_eot4_paper_sensor_bits(bits, level):
    assert s.decode_paper(OK | bits) == level


@pytest.mark.parametrize("bad", [0x00, 0x10, 0x02, 0x13, 0x92, 0xFF, 0x93])
def test_fixed_bits_are_checked(bad):
    assert not s.is_status_byte(bad)
    for decode in (s.decode_printer, s.decode_offline, s.decode_error, s.decode_paper):
        with pytest.raises(StatusByteError):
            decode(bad)


@pytest.mark.parametrize(("eot1", "eot2", "eot4", "eot3", "code", "state"), [
    (OK, OK, OK, None, None, DeviceState.ONLINE),
    (OK, OK, OK | 0x0C, None, None, DeviceState.ONLINE),  # near end still prints
    (OK | 0x08, OK | 0x04, OK, None, Code.COVER_OPEN, DeviceState.USER_ERROR),
    (OK | 0x08, OK | 0x20, OK | 0x60, None, Code.PAPER_OUT, DeviceState.USER_ERROR),
    (OK | 0x08, OK | 0x20, OK, None, Code.PAPER_OUT, DeviceState.USER_ERROR),  # stopped at paper end
    (OK | 0x08, OK | 0x04, OK | 0x60, None, Code.COVER_OPEN, DeviceState.USER_ERROR),  # cover first
    (OK | 0x08, OK | 0x40, OK, OK | 0x08, Code.HARDWARE_ERROR, DeviceState.HARDWARE_ERROR),
    (OK | 0x08, OK | 0x40, OK, OK | 0x20, Code.HARDWARE_ERROR, DeviceState.HARDWARE_ERROR),
    (OK | 0x08, OK | 0x40, OK, None, Code.HARDWARE_ERROR, DeviceState.HARDWARE_ERROR),
    (OK | 0x08, OK, OK, None, Code.DEVICE_NOT_READY, DeviceState.OFFLINE),
])
def test_status_to_fault_and_state(eot1, eot2, eot4, eot3, code, state):
    status = PrinterStatus.from_replies(eot1, eot2, eot4, eot3)
    fault = status.fault()
    assert (fault[0] if fault else None) is code
    assert status.state() is state


def test_no_answer_is_not_no_paper():
    silent = PrinterStatus.no_answer()
    assert silent.fault()[0] is Code.DEVICE_NOT_READY
    assert silent.state() is DeviceState.NO_DEVICE
    assert silent.paper == "unknown" and silent.fields()["answering"] is False
    empty = PrinterStatus.from_replies(OK | 0x08, OK | 0x20, OK | 0x60)
    assert empty.fault()[0] is Code.PAPER_OUT and empty.fields()["answering"] is True


def test_unreadable_transport_never_blocks_a_job():
    assert PrinterStatus.unreadable().fault() is None


@given(st.integers(0, 255))
def test_any_byte_decodes_or_is_refused_cleanly(value):
    for decode in (s.decode_printer, s.decode_offline, s.decode_error, s.decode_paper):
        try:
            decode(value)
        except StatusByteError:
            assert not s.is_status_byte(value)


status_bytes = st.integers(0, 255).map(lambda v: (v & ~0x93 & 0xFF) | 0x12)  # any byte with the fixed bits right


@given(status_bytes, status_bytes, status_bytes, st.one_of(st.none(), status_bytes))
def test_any_valid_reply_set_gives_a_consistent_status(eot1, eot2, eot4, eot3):
    status = PrinterStatus.from_replies(eot1, eot2, eot4, eot3)
    fault = status.fault()
    assert (fault is None) == (status.state() is DeviceState.ONLINE)
    if fault is not None:
        assert fault[0] in {Code.COVER_OPEN, Code.PAPER_OUT, Code.HARDWARE_ERROR, Code.DEVICE_NOT_READY}
    if eot4 & 0x60:
        assert status.paper == "end"
