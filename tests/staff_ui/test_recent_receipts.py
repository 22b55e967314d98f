"""Receipts kept for reprint: masked content only, refused when it holds raw personal data, gone after keep_s,
and the reprint marked 补打."""

from __future__ import annotations

import pytest

from drivers.printer.document import KeyValue
from drivers.printer.sample import standard_receipt
from kiosk.audit import PersonalDataError
from kiosk.recent_receipts import RecentReceipts, from_json, to_json
from tests.staff_ui.conftest import Clock


def test_round_trip_keeps_every_block():
    receipt = standard_receipt()
    again = from_json(to_json(receipt))
    assert to_json(again) == to_json(receipt)


@pytest.mark.parametrize("raw", ["110101199003071234", "13800138000"])
def test_unmasked_id_or_mobile_numbers_are_refused_and_nothing_is_written(tmp_path, raw):
    kept = RecentReceipts(tmp_path)
    with pytest.raises(PersonalDataError):
        kept.keep("TB1", standard_receipt(extra=[KeyValue("备注", raw)]))
    assert list(tmp_path.glob("receipts/*.json")) == []


def test_reprint_is_marked_and_expires_after_keep_s(tmp_path):
    clock = Clock(1_700_000_000.0)
    kept = RecentReceipts(tmp_path, keep_s=24 * 3600, clock=clock)
    kept.keep("TB20240601-000123", standard_receipt())
    assert [k.reference for k in kept.recent()] == ["TB20240601-000123"]
    copy = kept.reprint("TB20240601-000123")
    assert copy.title.endswith("（补打）") and "【补打】" in copy.sections[0].blocks[0].text
    clock.advance(24 * 3600 + 1)
    assert kept.recent() == []
    with pytest.raises(KeyError):
        kept.reprint("TB20240601-000123")
    assert not list((tmp_path / "receipts").glob("*.json"))


def test_bad_references_are_refused(tmp_path):
    kept = RecentReceipts(tmp_path)
    with pytest.raises(ValueError):
        kept.keep("../escape", standard_receipt())
    with pytest.raises(KeyError):
        kept.reprint("../escape")
