"""The real-name check's typed outcome: refusals in plain words, and a broken platform never crashing."""

from __future__ import annotations

import json
import time

import pytest

from drivers.identity import Source
from drivers.sim.platform import Fault, make_qr_payload
from kiosk.applications import REASONS, ApplicationOffice
from kiosk.i18n import translate

ZHANG_CERTS = ["id_card", "household_register", "marriage_certificate"]


def test_verified_card_gets_token_expiry_and_certificates(session, h):
    outcome = session.verify_card(h.person(*h.ZHANG), face_jpeg=h.JPEG)
    assert outcome.verified and outcome.token and outcome.verification_id
    assert outcome.valid_at(h.NOW) and (outcome.expires_at - h.NOW).total_seconds() == 600
    assert [c.code for c in session.certificates] == ZHANG_CERTS
    assert "张伟" not in repr(outcome) and outcome.token not in repr(outcome)


def test_social_security_card_method(session, sim, h):
    outcome = session.verify_card(h.person("刘洋", "510107199501013514", Source.SOCIAL_SECURITY_CARD))
    assert outcome.verified


@pytest.mark.parametrize(
    "name, number, face, reason",
    [
        ("陈静", "320102198004200026", False, "card_invalid"),
        ("赵磊", "370202197509090010", True, "face_mismatch"),
        ("张三", "110105199003071239", False, "name_mismatch"),
        ("无名", "330199198001010017", False, "no_record"),
    ],
)
def test_refusals_in_plain_words(session, h, name, number, face, reason):
    outcome = session.verify_card(h.person(name, number), face_jpeg=h.JPEG if face else None)
    assert (outcome.verified, outcome.reason, outcome.message) == (False, reason, REASONS[reason])
    assert session.resident is None and session.certificates == ()


def test_qr_verification_identity_comes_from_the_platform(session, h):
    outcome = session.verify_qr("eid_qr", make_qr_payload(h.ZHANG[1], time.time() + 300))
    assert outcome.verified and outcome.identity.source is Source.EID_QR
    assert (outcome.identity.name, outcome.identity.id_number) == h.ZHANG
    assert outcome.identity.registration_region == "110105"


def test_expired_qr(session, h):
    outcome = session.verify_qr("essc_qr", make_qr_payload(h.ZHANG[1], time.time() - 5, "essc_qr"))
    assert outcome.reason == "qr_expired" and "刷新" in translate(outcome.message, "zh_CN")


def test_attempts_are_limited(session, h):
    for _ in range(3):
        assert session.verify_card(h.person("张三", h.ZHANG[1])).reason == "name_mismatch"
    assert session.verify_card(h.person(*h.ZHANG)).reason == "too_many_attempts"


def test_platform_unreachable_is_a_retryable_refusal(session, sim, h):
    sim.set_faults("identity", Fault(error_rate=1.0))
    outcome = session.verify_card(h.person(*h.ZHANG))
    assert (outcome.reason, outcome.retryable) == ("platform_unavailable", True)
    sim.clear_faults()
    assert session.verify_card(h.person(*h.ZHANG)).verified


def test_dropped_connection_is_a_retryable_refusal(session, sim, h):
    sim.set_faults("identity", Fault(drop_before=1.0))
    assert session.verify_card(h.person(*h.ZHANG)).reason == "platform_unavailable"


def test_certificates_unavailable_means_asking_for_materials(session, sim, h):
    sim.set_faults("certificates", Fault(error_rate=1.0))
    assert session.verify_card(h.person(*h.ZHANG)).verified
    assert session.certificates == () and "电子证照" in translate(session.certificates_problem, "zh_CN")
    app = session.start_application(item_code="330199000300220000")
    assert app.material("household_register").blocking


GOOD_VERIFY = {"verified": True, "verification_id": "V1", "token": "t", "expires_in": 600,
               "subject": {"id_number": "110105199003071239", "name": "张伟"}}  # fmt: skip
BROKEN = [
    b"not json",
    b"",
    b'{"verified": true}',
    json.dumps({**GOOD_VERIFY, "expires_in": "600"}).encode(),
    json.dumps({**GOOD_VERIFY, "subject": None}).encode(),
    json.dumps({"verified": "yes"}).encode(),
    json.dumps({"verified": False}).encode(),
    json.dumps({"error": {"code": "x", "message": "y"}}).encode(),
    json.dumps([GOOD_VERIFY]).encode(),
    b'{"verified": true, "expires_in": NaN}',
]


@pytest.mark.parametrize("body", BROKEN)
def test_malformed_verification_answer_never_crashes(settings, catalog, outbox, h, body):
    client = h.canned_client({"/v1/identity/verifications": (200, body)})
    session = ApplicationOffice(settings=settings, catalog=catalog, client=client, outbox=outbox).new_session()
    outcome = session.verify_card(h.person(*h.ZHANG))
    assert not outcome.verified and outcome.reason == "platform_error" and outcome.retryable


def test_platform_verifying_someone_else_is_refused(settings, catalog, outbox, h):
    other = {**GOOD_VERIFY, "subject": {"id_number": "310104195208150048", "name": "李秀英"}}
    client = h.canned_client({"/v1/identity/verifications": (200, json.dumps(other).encode())})
    session = ApplicationOffice(settings=settings, catalog=catalog, client=client, outbox=outbox).new_session()
    assert session.verify_card(h.person(*h.ZHANG)).reason == "platform_error"


@pytest.mark.parametrize(
    "body",
    [b"{", b'{"certificates": {}}', b'{"certificates": [{"code": "id_card"}]}', b'{"error": {"code": "x"}}',
     b'{"certificates": [{"code": "x", "name": "y", "number": 5, "issuer": "z", "valid_to": null}]}',
     b'{"certificates": [{"code": "x", "name": "y", "number": null, "issuer": "z", "valid_to": "2030-13-01"}]}'],
)  # fmt: skip
def test_malformed_certificates_answer_never_crashes(settings, catalog, outbox, h, body):
    client = h.canned_client({
        "/v1/identity/verifications": (200, json.dumps(GOOD_VERIFY).encode()),
        "/v1/certificates": (200, body),
    })  # fmt: skip
    session = ApplicationOffice(settings=settings, catalog=catalog, client=client, outbox=outbox).new_session()
    assert session.verify_card(h.person(*h.ZHANG)).verified
    assert session.certificates == () and session.certificates_problem


@pytest.mark.parametrize("status, reason", [(401, "kiosk_suspended"), (403, "kiosk_suspended"),
                                            (422, "platform_error"), (500, "platform_unavailable")])  # fmt: skip
def test_error_statuses(settings, catalog, outbox, h, status, reason):
    client = h.canned_client({"/v1/identity/verifications": (status, b'{"error": {"code": "x", "message": "m"}}')})
    session = ApplicationOffice(settings=settings, catalog=catalog, client=client, outbox=outbox).new_session()
    assert session.verify_card(h.person(*h.ZHANG)).reason == reason
