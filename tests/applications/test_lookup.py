"""Progress lookup by number, local reference, receipt QR and identity; 好差评 through the outbox."""

from __future__ import annotations

import pytest

from drivers.sim.platform import Fault
from kiosk.applications import EvaluationRefused
from kiosk.i18n import translate


@pytest.fixture
def queued(zhang):
    app = zhang.start_application(item_code="330199000100210000")  # 社保待遇资格认证: id_card from certificates
    app.set_field("phone", "13800138000")
    return zhang.submit(app)


def test_queued_reference_is_found_in_the_outbox(services, queued):
    found = services.lookup_reference(queued.reference)
    assert found.state == "queued" and found.found and found.progress is None
    assert services.lookup_qr(queued.progress_qr).state == "queued"


def test_reference_delivered_then_progress_from_the_platform(services, outbox, sim, queued):
    outbox.start()
    assert outbox.wait_idle(10)
    sim.set_status(queued.application_no, "need_more", "补充材料")
    found = services.lookup_reference(queued.reference)
    assert found.state == "platform" and translate(found.status_label, "zh_CN") == "需补充材料"
    assert found.progress.history[-1].note == "补充材料"


def test_reference_unknown_to_the_outbox_asks_the_platform(services, outbox, queued, tmp_path, client, settings,
                                                           catalog):  # fmt: skip
    from kiosk.applications import ApplicationOffice
    from kiosk.platform.outbox import Outbox

    outbox.start()
    assert outbox.wait_idle(10)
    fresh = Outbox(tmp_path / "other", client, "K0001")  # e.g. the kiosk's data folder was replaced
    try:
        other = ApplicationOffice(settings=settings, catalog=catalog, client=client, outbox=fresh)
        found = other.lookup_reference(queued.reference)
        assert found.state == "platform" and found.application_no == queued.application_no
        assert other.lookup_reference("K0001-999999").state == "not_found"
    finally:
        fresh.close()


def test_lookup_by_number_typed_with_spaces_and_lowercase(services, outbox, queued):
    outbox.start()
    assert outbox.wait_idle(10)
    assert services.lookup_number(f" {queued.application_no.lower()} ").state == "platform"
    assert services.lookup_number("TB000000000000").state == "not_found"
    assert services.lookup_number("不是编号").state == "invalid"


def test_platform_down_is_unavailable_not_a_crash(services, sim, outbox, queued):
    outbox.start()
    assert outbox.wait_idle(10)
    sim.set_faults("progress", Fault(error_rate=1.0))
    assert services.lookup_number(queued.application_no).state == "unavailable"
    assert services.lookup_qr(queued.progress_qr).state == "unavailable"


def test_not_a_receipt_qr(services):
    found = services.lookup_qr("https://example.com")
    assert found.state == "invalid" and not found.found


def test_my_applications_by_verified_identity(zhang, outbox, queued):
    outbox.start()
    assert outbox.wait_idle(10)
    mine = zhang.my_applications()
    assert [m.application_no for m in mine] == [queued.application_no]


def test_my_applications_when_the_platform_is_down(zhang, sim):
    sim.set_faults("progress", Fault(error_rate=1.0))
    assert zhang.my_applications().state == "unavailable"


def test_evaluation_by_reference_waits_for_delivery(services, outbox, sim, queued):
    services.evaluate(5, comment="很方便", reference=queued.reference)
    outbox.start()
    assert outbox.wait_idle(10)
    assert [(e["application_no"], e["level"]) for e in sim.evaluations()] == [(queued.application_no, 5)]


@pytest.mark.parametrize(
    "level, reasons, message",
    [(0, (), "请选择评价等级"), (6, (), "请选择评价等级"), (True, (), "请选择评价等级"), (2, (), "请选择不满意的原因"),
     (1, (" ",), "请选择不满意的原因")],
)  # fmt: skip
def test_evaluation_refusals(services, queued, level, reasons, message):
    from kiosk.i18n import translator

    with pytest.raises(EvaluationRefused) as refused:
        services.evaluate(level, reasons, reference=queued.reference)
    assert message in translator("zh_CN")(str(refused.value))  # a message id, shown in the resident's language


def test_evaluation_of_an_unknown_reference(services):
    with pytest.raises(EvaluationRefused):
        services.evaluate(4, reference="K0001-999999")


def test_session_end_forgets_the_resident(zhang):
    zhang.end()
    assert zhang.resident is None and zhang.certificates == ()
