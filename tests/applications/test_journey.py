"""The journey end to end against the simulator: verify, apply, submit, delivery callback, lookup, evaluate."""

from __future__ import annotations

import pytest

from kiosk.applications import EvaluationRefused, MaterialStatus, NotReady, RouteKind, SessionError
from kiosk.i18n import translate

TEMP_RELIEF = "330199000300220000"  # 临时救助: 社区通办 for all regions; commitment + deferrable materials


def fill_relief(app):
    return app.set_form({
        "phone": "13800138000", "address": "示例县人民路1号", "hardship_type": app.field("hardship_type").options[0],
        "hardship_detail": "家中突发火灾，房屋和家具烧毁", "family_size": "3", "bank_name": "中国银行",
        "bank_account": "6217000010001234567",
    })  # fmt: skip


def test_submit_then_delivery_fills_the_number(zhang, services, outbox, sim, h):
    app = zhang.start_application(item_code=TEMP_RELIEF)
    assert app.route.kind is RouteKind.COMMUNITY
    assert app.route.office == "北京市朝阳区乡镇（街道）便民服务中心"  # named from the division table
    # 一证通办: the ID card and the household register come from the platform
    assert app.material("id_card").status is MaterialStatus.CERTIFICATE
    assert app.material("household_register").status is MaterialStatus.CERTIFICATE
    assert fill_relief(app) == {}
    app.commit("income_statement", h.PNG)
    app.provide_file("hardship_proof", h.JPEG, "image/jpeg")
    app.defer("bank_card")
    sub = zhang.submit(app)
    assert sub.state == "queued" and sub.application_no is None and sub.number == sub.reference
    seen = []
    sub.on_change(seen.append)
    outbox.start()
    assert outbox.wait_idle(10)
    assert sub.state == "delivered" and sub.application_no.startswith("TB") and seen == [sub]
    stored = sim.applications()[0]
    body = stored["body"]
    assert body["handling_region_code"] == "110105"
    kinds = {m["code"]: m["provided_as"] for m in body["materials"]}
    assert kinds == {"id_card": "certificate", "household_register": "certificate", "income_statement": "commitment",
                     "hardship_proof": "file", "bank_card": "deferred"}  # fmt: skip
    numbers = {m["code"]: m.get("certificate_number") for m in body["materials"]}
    assert numbers["household_register"] == "HJ110105-0012345"
    assert numbers["id_card"] == h.ZHANG[1]  # a certificate without a number is named by its holder
    assert len(sim.files()) == 2  # the file and the signature

    looked = services.lookup_number(sub.application_no)
    assert looked.state == "platform" and translate(looked.status_label, "zh_CN") == "已受理"
    by_ref = services.lookup_reference(sub.reference)
    assert by_ref.state == "platform" and by_ref.application_no == sub.application_no
    by_qr = services.lookup_qr(sub.progress_qr)
    assert by_qr.application_no == sub.application_no
    mine = zhang.my_applications()
    assert [m.application_no for m in mine] == [sub.application_no]

    with pytest.raises(EvaluationRefused):  # a label is not a reason code
        services.evaluate(1, ["办理时间长"], "太慢", application_no=sub.application_no)
    services.evaluate(1, ["service_efficiency"], "太慢", application_no=sub.application_no)
    assert outbox.wait_idle(10)
    assert sim.evaluations()[0]["level"] == 1 and sim.evaluations()[0]["reasons"] == ["service_efficiency"]


def test_a_guide_and_a_lookup_are_rated_too(services, outbox, sim):
    services.evaluate(4, [], "写得清楚", service="guide", item_code=TEMP_RELIEF)
    services.evaluate(2, ["convenience", "service_level"], service="progress", application_no="TB202603020000001")
    services.evaluate(5, service="progress")
    outbox.start()
    assert outbox.wait_idle(10)
    rated = sim.service_evaluations()
    assert [(e["service"], e["level"], e["reasons"]) for e in rated] == [
        ("guide", 4, []), ("progress", 2, ["convenience", "service_level"]), ("progress", 5, [])]
    assert rated[0]["item_code"] == TEMP_RELIEF and rated[0]["comment"] == "写得清楚"
    assert rated[1]["application_no"] == "TB202603020000001" and sim.evaluations() == []


def test_applying_needs_a_verified_identity(session):
    with pytest.raises(SessionError):
        session.start_application(item_code=TEMP_RELIEF)


def test_missing_materials_refuse_with_their_names(zhang):
    app = zhang.start_application(item_code=TEMP_RELIEF)
    fill_relief(app)
    with pytest.raises(NotReady) as refused:
        zhang.submit(app)
    readiness = refused.value.readiness
    assert readiness.missing_names == ["家庭收入及财产状况声明", "遭遇困难的相关证明（医疗票据、事故证明等）",
                                       "本人银行卡或已激活金融功能的社会保障卡"]  # fmt: skip
    assert "还缺少以下材料：家庭收入及财产状况声明、" in translate(readiness.message, "zh_CN")
    assert zhang.services.outbox.depth() == 0  # nothing queued


def test_verification_once_per_session(zhang, sim, h):
    before = sim.stats()["requests.identity"]
    again = zhang.verify_card(h.person(*h.ZHANG))
    assert again is zhang.verification
    assert sim.stats()["requests.identity"] == before
