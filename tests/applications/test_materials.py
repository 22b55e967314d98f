"""一证通办, 告知承诺, 容缺受理, 帮办代办, bundles asked once, and form validation per field."""

from __future__ import annotations

import pytest

from kiosk.applications import AgentRefused, MaterialRefused, MaterialStatus, NotReady
from kiosk.i18n import translate

TEMP_RELIEF = "330199000300220000"
ELDER_ALLOWANCE = "330199000300120000"  # lists agent_id_card / power_of_attorney "代办时提供"
DISABILITY_RENEW = "330199000600220000"  # disability_certificate (ecert) is a key material
BUSINESS = "330199001000110000"  # premises_proof: commitment allowed but key; no agent materials listed
CRIMINAL_RECORD = "330199000400820000"


def test_certificates_satisfy_materials_without_asking(zhang):
    app = zhang.start_application(item_code=TEMP_RELIEF)
    statuses = {s.code: s.status for s in app.materials}
    assert statuses["id_card"] is MaterialStatus.CERTIFICATE
    assert statuses["household_register"] is MaterialStatus.CERTIFICATE
    assert statuses["income_statement"] is MaterialStatus.MISSING  # no certificate for it
    assert app.material("household_register").certificate.name == "居民户口簿"


def test_expired_certificate_is_not_used(local):
    app = local.start_application(item_code=DISABILITY_RENEW)  # 周建国's 残疾人证 expired 2025-12-31
    assert app.material("id_card").status is MaterialStatus.CERTIFICATE
    assert app.material("disability_certificate").status is MaterialStatus.MISSING


def test_commitment_replaces_a_material_where_allowed(zhang, h):
    app = zhang.start_application(item_code=TEMP_RELIEF)
    app.commit("income_statement", h.PNG)
    slot = app.material("income_statement")
    assert slot.status is MaterialStatus.COMMITMENT
    files, body = app.request(h.NOW)
    entry = next(m for m in body["materials"] if m["code"] == "income_statement")
    assert entry == {"code": "income_statement", "provided_as": "commitment", "signature_file_index": 0}
    assert files == [(h.PNG, "image/png")]


def test_commitment_refused_where_not_allowed(zhang, h):
    app = zhang.start_application(item_code=TEMP_RELIEF)
    with pytest.raises(MaterialRefused, match="不适用告知承诺制"):
        app.commit("hardship_proof", h.PNG)
    assert app.material("hardship_proof").status is MaterialStatus.MISSING


def test_deferred_material_is_accepted_and_labelled_to_supply(zhang, h):
    app = zhang.start_application(item_code=TEMP_RELIEF)
    app.defer("bank_card")
    assert app.material("bank_card").status is MaterialStatus.DEFERRED
    _, body = app.request(h.NOW)
    assert {"code": "bank_card", "provided_as": "deferred"} in body["materials"]


@pytest.mark.parametrize("code", ["id_card", "income_statement"])  # key material / not deferrable
def test_defer_refused_for_key_or_non_deferrable_materials(local, code):
    app = local.start_application(item_code=TEMP_RELIEF)
    with pytest.raises(MaterialRefused, match="不能容缺后补"):
        app.defer(code)


@pytest.mark.parametrize(
    "data, ctype, message",
    [(b"", "image/jpeg", "文件为空"), (b"GIF89a", "image/gif", "JPEG/PNG"),
     (b"\x89PNG\r\n\x1a\n", "image/jpeg", "不符"), (b"\xff\xd8" + bytes(5 * 1024 * 1024), "image/jpeg", "超过5MB")],
)  # fmt: skip
def test_bad_files_refused(zhang, data, ctype, message):
    app = zhang.start_application(item_code=TEMP_RELIEF)
    with pytest.raises(MaterialRefused, match=message):
        app.provide_file("hardship_proof", data, ctype)


def test_clear_returns_a_material_to_missing(zhang, h):
    app = zhang.start_application(item_code=TEMP_RELIEF)
    app.provide_file("hardship_proof", h.JPEG, "image/jpeg")
    app.clear("hardship_proof")
    assert app.material("hardship_proof").blocking


def test_agent_materials_hidden_when_applying_for_oneself(local):
    app = local.start_application(item_code=ELDER_ALLOWANCE)
    assert {"agent_id_card", "power_of_attorney"}.isdisjoint(s.code for s in app.materials)


def test_agent_application_carries_both_identities_and_the_authorisation(local, h):
    from drivers.identity import check_digit

    principal = h.person("周老太", "33019919300101002" + check_digit("33019919300101002"))
    app = local.start_application(item_code=ELDER_ALLOWANCE, principal=principal)
    assert app.applicant is principal and app.agent.id_number == h.LOCAL["id_number"]
    # the agent's own ID comes from the agent's e-certificates; the principal's materials do not
    assert app.material("agent_id_card").status is MaterialStatus.CERTIFICATE
    assert app.material("id_card").status is MaterialStatus.MISSING
    assert app.material("household_register").status is MaterialStatus.MISSING
    authorisation = app.material("power_of_attorney")
    assert authorisation.material.required and authorisation.blocking
    with pytest.raises(MaterialRefused):
        authorisation.defer()
    app.provide_file("power_of_attorney", h.PDF, "application/pdf")
    app.provide_file("id_card", h.JPEG, "image/jpeg")
    app.provide_file("household_register", h.JPEG, "image/jpeg")
    app.defer("bank_card")
    app.set_form({"phone": "13700001111", "address": "示例县人民路88号", "bank_name": "中国银行",
                  "bank_account": "6217000010001234567", "agent": "家属代办"})  # fmt: skip
    sub = local.submit(app)
    _, body = app.request(h.NOW)
    assert body["applicant"]["id_number"] == principal.id_number
    assert body["agent"]["id_number"] == h.LOCAL["id_number"]
    assert sub.agent_name == "周*国" and sub.applicant_name == "周*太"
    local.services.outbox.start()
    assert local.services.outbox.wait_idle(10)
    assert sub.state == "delivered"  # the simulator validated both persons and every material


def test_agent_materials_added_when_the_item_does_not_list_them(local, h):
    from drivers.identity import check_digit

    principal = h.person("周小妹", "33019919900101002" + check_digit("33019919900101002"))
    app = local.start_application(item_code=BUSINESS, principal=principal)
    codes = [s.code for s in app.materials]
    assert codes[-2:] == ["agent_id_card", "power_of_attorney"]
    assert app.material("agent_id_card").status is MaterialStatus.CERTIFICATE


def test_agent_cannot_apply_for_themselves(local, h):
    with pytest.raises(AgentRefused, match="cannot be yourself"):
        local.start_application(item_code=ELDER_ALLOWANCE, principal=h.person("周建国", h.LOCAL["id_number"]))


def test_principal_with_a_wrong_check_digit_is_refused(local, h):
    with pytest.raises(AgentRefused, match="ID number of the person"):
        local.start_application(item_code=ELDER_ALLOWANCE, principal=h.person("周老太", "330199193001010020"))


# -- bundles ------------------------------------------------------------------------------------------------


def test_bundle_asks_shared_materials_once(local, catalog, h):
    bundle = catalog.bundle("job_loss")
    app = local.start_application(bundle_code="job_loss")
    codes = [s.code for s in app.materials]
    assert len(codes) == len(set(codes)) == len(bundle.merged_materials().materials)
    assert bundle.merged_materials().saved > 0
    assert [f.key for f in app.form_fields] == [f.key for f in bundle.merged_form()]
    _, body = app.request(h.NOW)
    assert body["bundle"] == "job_loss" and body["items"] == list(bundle.items)
    assert app.title == bundle.name


def test_bundle_promise_is_its_slowest_item(local, catalog):
    app = local.start_application(bundle_code="job_loss")
    assert app.promised_days == max(i.promised_days for i in catalog.bundle("job_loss").resolved_items)


# -- form fields --------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "key, bad, good",
    [
        ("phone", "1380013800", "13800138000"),
        ("hardship_type", "别的", "意外事故"),
        ("family_size", "三口", "3"),
        ("bank_account", "62170000", "6217 0000 1000 1234 567"),
        ("address", "县城", "示例县人民路88号"),
        ("hardship_detail", "火灾", "家中突发火灾，房屋和家具烧毁"),
    ],
)
def test_each_field_type_is_validated(zhang, key, bad, good):
    app = zhang.start_application(item_code=TEMP_RELIEF)
    assert app.set_field(key, bad)
    assert key in app.errors
    assert app.set_field(key, good) is None and key not in app.errors


def test_date_and_id_number_fields(local, h):
    app = local.start_application(item_code="330199000500120000")  # 独生子女父母光荣证: spouse_id, child_birth
    assert translate(app.set_field("spouse_id", "110105199003071238"), "zh_CN") == "身份证号码不正确，请核对"
    assert app.set_field("spouse_id", "110105199003071239") is None
    assert translate(app.set_field("child_birth", "2030-01-01", today=h.NOW.date()), "zh_CN") == "日期不能晚于今天"
    assert translate(app.set_field("child_birth", "2019-02-30"), "zh_CN") == "请输入正确的日期（年-月-日）"
    assert translate(app.set_field("child_birth", "2019-02-30"), "en") == "Please enter a real date (year-month-day)"


def test_readiness_lists_every_field_error_and_refuses(zhang, h):
    app = zhang.start_application(item_code=TEMP_RELIEF)
    app.commit("income_statement", h.PNG)
    app.provide_file("hardship_proof", h.JPEG, "image/jpeg")
    app.defer("bank_card")
    app.set_field("phone", "12")
    readiness = app.check()
    assert not readiness.ok and readiness.missing == ()
    assert set(readiness.field_errors) >= {"phone", "address", "bank_account"}
    assert "联系电话（请输入11位手机号码或带区号的固定电话）" in translate(readiness.message, "zh_CN")
    with pytest.raises(NotReady):
        zhang.submit(app)


def test_unknown_form_key_refused(zhang):
    app = zhang.start_application(item_code=TEMP_RELIEF)
    with pytest.raises(KeyError):
        app.set_form({"no_such_field": "x"})
