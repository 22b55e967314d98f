"""Identity documents per item, the QR kind from the payload, bundles whose later items use earlier items' outputs,
and the simulator's promise per item (issue 19)."""

from __future__ import annotations

import time

import pytest

from drivers.identity import CardType, Source
from drivers.sim.platform import make_qr_payload
from drivers.sim.platform.server import catalog_promised_days
from kiosk.applications import MaterialStatus, format_progress_qr
from kiosk.applications.qr_kind import QrKind, qr_kind
from kiosk.catalog.model import IdDocument
from kiosk.i18n import translate

TEMP_RELIEF = "330199000300220000"  # accepts all five identity documents
MOVE_HOUSEHOLD = "330199000400120000"  # 户口迁移: 居民身份证 / 电子身份证 only (not at the terminal)
SSC_APPLY = "330199000100310000"
HMT = ("黄志明", "810000198506120032")
FOREIGNER = ("SMITH JOHN", "93182619800101001X")


@pytest.mark.parametrize(
    "who, card",
    [(HMT, CardType.HMT_PERMIT), (FOREIGNER, CardType.FOREIGN_PERMANENT_2023)],
)
def test_permit_and_foreigner_cards_satisfy_the_identity_material(session, h, who, card):
    assert session.verify_card(h.person(*who, card_type=card)).verified
    app = session.start_application(item_code=SSC_APPLY)
    slot = next(s for s in app.materials if s.material.identity)
    assert slot.status is MaterialStatus.CERTIFICATE and not slot.blocking


def test_an_item_that_does_not_accept_the_document_says_which_it_accepts(catalog, session, h):
    item = catalog.item(MOVE_HOUSEHOLD)
    assert IdDocument.FOREIGN_PERMANENT not in item.identity_documents
    assert session.verify_card(h.person(*FOREIGNER, card_type=CardType.FOREIGN_PERMANENT_2023)).verified
    app = session.start_application(item_code=MOVE_HOUSEHOLD)
    slot = next(s for s in app.materials if s.material.identity)
    assert slot.blocking
    assert "本事项可用的身份证件：居民身份证、电子身份证。" in translate(app.check().message, "zh_CN")


def test_social_security_card_and_qr_codes_count_as_identity(session, h):
    ssc = h.person(*h.ZHANG, Source.SOCIAL_SECURITY_CARD, region_code="110105")
    assert session.verify_card(ssc).verified
    app = session.start_application(item_code=TEMP_RELIEF)
    assert next(s for s in app.materials if s.material.identity).status is MaterialStatus.CERTIFICATE


def test_essc_qr_verifies_and_a_mismatched_method_is_refused(services, h):
    essc = make_qr_payload(h.ZHANG[1], time.time() + 60, "essc_qr")
    assert qr_kind(essc) is QrKind.ESSC
    assert services.new_session().verify_qr(qr_kind(essc).value, essc).verified
    assert services.new_session().verify_qr("eid_qr", essc).reason == "qr_invalid"


def test_qr_kind_from_the_payload():
    assert qr_kind(make_qr_payload("110105199003071239", 2_000_000_000)) is QrKind.EID
    assert qr_kind(make_qr_payload("110105199003071239", 2_000_000_000, "essc_qr")) is QrKind.ESSC
    assert qr_kind(format_progress_qr(application_no="TB202603020000001")) is QrKind.RECEIPT
    assert qr_kind("something a platform we do not know printed") is QrKind.EID


def test_a_receipt_shown_as_identity_is_refused_with_a_pointer(session):
    outcome = session.verify_qr("receipt_qr", format_progress_qr(application_no="TB202603020000001"))
    assert not outcome.verified and outcome.reason == "qr_receipt" and "办件查询" in translate(outcome.message, "zh_CN")


@pytest.mark.parametrize("code, produced", [("birth", "出生医学证明"), ("open_supermarket", "营业执照"),
                                            ("disability", "中华人民共和国残疾人证")])
def test_an_earlier_items_output_is_not_asked_for(catalog, zhang, code, produced):
    bundle = catalog.bundle(code)
    merged = bundle.merged_materials().materials
    assert any(m.material.name == produced and m.produced_by == bundle.items[0] for m in merged)
    if bundle.at_terminal:
        app = zhang.start_application(bundle_code=code)
        assert produced not in [s.name for s in app.materials] and produced in app.shared


def test_the_same_document_is_asked_once_by_what_it_is_and_whose(catalog):
    birth = catalog.bundle("birth").merged_materials().materials
    ids = [m for m in birth if m.material.document_type == "id_card"]
    assert len(ids) == 1 and len(ids[0].item_codes) == 5  # 父母双方 / 监护人 / 申请人: one person in this event
    death = catalog.bundle("after_death").merged_materials().materials
    whose = sorted(m.material.whose for m in death if m.material.document_type == "id_card")
    assert whose == ["逝者", "领取人"]  # the deceased's ID and the applicant's (领取人 = 申请人): two documents


def test_every_bundle_is_doable_here_or_says_where(catalog):
    for bundle in catalog.bundles:
        assert bundle.at_terminal or (bundle.counter and len(bundle.counter) > 10), bundle.code
        keys = [(m.material.document_type, m.material.whose) for m in bundle.merged_materials().materials]
        for key in set(keys):
            if key[1] == "申请人":
                assert keys.count(key) == 1


def test_the_simulator_promises_each_items_own_days(catalog, sim, h):
    days = catalog_promised_days()
    assert days == {i.code: i.promised_days for i in catalog.items}
    assert sim.promised_days == days
    accepted = time.mktime((2026, 3, 2, 10, 0, 0, 0, 0, -1))
    immediate = next(i for i in catalog.items if i.promised_days == 0)
    slow = max(catalog.items, key=lambda i: i.promised_days)
    assert sim.promised_date([immediate.code], accepted) == "2026-03-02"
    assert sim.promised_date([immediate.code, slow.code], accepted) > sim.promised_date([immediate.code], accepted)
