"""The progress screen reads the one receipt QR format (kiosk.applications.progress_qr) and nothing else."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from kiosk.applications import format_progress_qr
from screens.progress import number_from_qr


def test_a_receipt_qr_gives_the_number_else_the_local_reference():
    assert number_from_qr(format_progress_qr("TB202603020000001")) == "TB202603020000001"
    assert number_from_qr(format_progress_qr(reference="K0001-000123")) == "K0001-000123"
    assert number_from_qr(format_progress_qr("TB202603020000001", "K0001-000123")) == "TB202603020000001"


PAGE = "https://zwfw.example.gov.cn/progress"


def test_the_configured_https_page_is_read():
    assert number_from_qr(format_progress_qr("TB202603020000001", base_url=PAGE), PAGE) == "TB202603020000001"


def test_other_codes_are_not_ours():
    for text in ("tongban:progress:TB202603020000001", "https://example.com/?no=TB2026", "", "tongban://progress?"):
        assert number_from_qr(text, PAGE) is None


@given(st.text(max_size=300))
def test_any_scanned_text_gives_a_key_or_none(text):
    result = number_from_qr(text, PAGE)
    assert result is None or result in text
