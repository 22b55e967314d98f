"""The receipt QR's format and its strict parser (the camera scans old receipts with it)."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from kiosk.applications import ProgressQrError, format_progress_qr, parse_progress_qr

numbers = st.from_regex(r"[A-Za-z0-9][A-Za-z0-9-]{3,39}", fullmatch=True)
references = st.from_regex(r"[A-Za-z0-9][A-Za-z0-9_-]{1,31}-[0-9]{6,12}", fullmatch=True)


def test_examples():
    assert format_progress_qr("TB202603020000001") == "tongban://progress?no=TB202603020000001"
    assert format_progress_qr(reference="K0001-000123") == "tongban://progress?ref=K0001-000123"
    key = parse_progress_qr("tongban://progress?no=TB202603020000001&ref=K0001-000123")
    assert (key.application_no, key.reference) == ("TB202603020000001", "K0001-000123")


@given(st.one_of(st.tuples(numbers, st.none()), st.tuples(st.none(), references), st.tuples(numbers, references)))
def test_round_trip(pair):
    number, reference = pair
    key = parse_progress_qr(format_progress_qr(number, reference))
    assert (key.application_no, key.reference) == (number, reference)


@given(st.text(max_size=300))
def test_any_text_is_a_key_or_a_progress_qr_error(text):
    try:
        key = parse_progress_qr(text)
    except ProgressQrError:
        return
    assert key.application_no or key.reference


@given(st.binary(max_size=200))
def test_scanned_bytes_decoded_leniently_never_crash(raw):
    with pytest.raises(ProgressQrError) if not raw.startswith(b"tongban://") else _maybe():
        parse_progress_qr(raw.decode("latin-1"))


class _maybe:
    def __enter__(self):
        return self

    def __exit__(self, kind, value, tb):
        return kind is None or issubclass(kind, ProgressQrError)


@pytest.mark.parametrize(
    "text",
    [
        "", "https://tb.gov.cn/q/TB1", "tongban://progress?", "tongban://progress?no=", "tongban://progress?no=TB1",
        "tongban://progress?no=TB2026&no=TB2027", "tongban://progress?id=110105199003071239",
        "tongban://progress?ref=K0001", "tongban://progress?ref=K0001-12", "tongban://progress?no=TB%E4%B8%AD0001",
        "tongban://progress?no=TB20260302&x=1", "tongban://Progress?no=TB20260302", "tongban://progress?no=TB2026#x",
        "tongban://progress?no=申请编号1", "tongban://progress?no=" + "A" * 41, "tongban://progress?no=-TB2026",
        "tongban://progress?no=TB2026&&ref=K0001-000001",
    ],
)  # fmt: skip
def test_malformed_codes_refused(text):
    with pytest.raises(ProgressQrError):
        parse_progress_qr(text)


def test_non_text_refused():
    with pytest.raises(ProgressQrError):
        parse_progress_qr(b"tongban://progress?no=TB20260302")  # type: ignore[arg-type]


def test_format_refuses_bad_values():
    with pytest.raises(ProgressQrError):
        format_progress_qr()
    with pytest.raises(ProgressQrError):
        format_progress_qr("TB 1")
