"""一件事 bundles (merged materials and form) and form-field validation."""

from __future__ import annotations

import datetime as dt

import pytest

from kiosk.catalog import FormField, validate_field
from kiosk.catalog.model import Bundle, Item, Material
from kiosk.i18n import translate


def test_birth_bundle_asks_shared_materials_once(catalog):
    bundle = catalog.bundle("birth")
    merged = bundle.merged_materials()
    per_item = sum(len(item.materials) for item in bundle.resolved_items)
    assert merged.item_by_item == per_item
    codes = [m.material.code for m in merged.materials]
    assert len(codes) == len(set(codes))
    assert merged.saved == per_item - len(codes) > 0
    birth_cert = next(m for m in merged.materials if m.material.code == "birth_medical_certificate")
    assert len(birth_cert.item_codes) >= 2 and birth_cert.material.ecert == "birth_medical_certificate"


def test_every_sample_bundle_saves_materials(catalog):
    for bundle in catalog.bundles:
        assert bundle.merged_materials().saved >= 1, bundle.name


def _item(code: str, materials, form=()) -> Item:
    return Item(code=code, basic_code="B" + code, name="事项" + code, department_code="DEPT1", department="某局",
                item_type="即办件", legal_basis=("x",), conditions=("x",), process=("x",), statutory_days=1,
                promised_days=0, consult_phone="0571-86010000", complaint="12345", place="中心", hours="工作日",
                visits=0, result="x", materials=tuple(materials), form=tuple(form))


def test_merge_rules_strictest_item_wins():
    a = _item("A001", [Material(code="id_card", name="身份证", key=True),
                       Material(code="photo", name="照片", required=False, count=1, deferrable=True,
                                commitment_allowed=True)],
              [FormField(key="phone", label="电话", type="phone", required=False)])
    b = _item("B001", [Material(code="photo", name="照片", required=True, count=3, deferrable=False,
                                commitment_allowed=True),
                       Material(code="bank", name="银行卡")],
              [FormField(key="phone", label="电话", type="phone", required=True), FormField(key="bank", label="账号")])
    bundle = Bundle(code="t", name="测试一件事", life_event="测试", description="x", items=("A001", "B001"))
    bundle.bind([a, b])
    merged = bundle.merged_materials()
    assert (merged.item_by_item, len(merged.materials), merged.saved) == (4, 3, 1)
    photo = next(m for m in merged.materials if m.material.code == "photo")
    assert photo.material.required and photo.material.count == 3
    assert photo.material.commitment_allowed and not photo.material.deferrable
    assert photo.item_codes == ("A001", "B001")
    form = bundle.merged_form()
    assert [f.key for f in form] == ["phone", "bank"] and form[0].required


def test_unbound_bundle_and_duplicate_items():
    bundle = Bundle(code="t", name="测试一件事", life_event="测试", description="x", items=("A", "B"))
    with pytest.raises(RuntimeError):
        bundle.merged_materials()
    with pytest.raises(ValueError, match="listed twice"):
        Bundle(code="t", name="测试一件事", life_event="测试", description="x", items=("A", "A"))


TODAY = dt.date(2025, 6, 1)


@pytest.mark.parametrize(
    ("field", "value", "ok"),
    [
        (dict(type="phone"), "13800138000", True),
        (dict(type="phone"), "0571-86010120", True),
        (dict(type="phone"), "1380013800", False),
        (dict(type="phone"), "abc", False),
        (dict(type="date"), "2025-05-31", True),
        (dict(type="date"), "2025-02-30", False),
        (dict(type="date", validation={"not_future": True}), "2025-06-02", False),
        (dict(type="date", validation={"not_past": True}), dt.date(2025, 5, 1), False),
        (dict(type="date"), dt.datetime(2025, 1, 1, 8, 0), True),
        (dict(type="choice", options=["男", "女"]), "女", True),
        (dict(type="choice", options=["男", "女"]), "其他", False),
        (dict(type="number", validation={"min": 1, "max": 20}), "3", True),
        (dict(type="number", validation={"min": 1, "max": 20}), 0, False),
        (dict(type="number", validation={"min": 1, "max": 20}), "21", False),
        (dict(type="number"), "12.5", True),
        (dict(type="number"), "abc", False),
        (dict(type="number"), "nan", False),
        (dict(type="number"), True, False),
        (dict(type="bank_account"), "6222 0212 3456 7890 123", True),
        (dict(type="bank_account"), "62220212", False),
        (dict(type="bank_account"), "6222021234567890123456", False),
        (dict(type="id_number"), "11010519491231002X", True),
        (dict(type="id_number"), "110105194912310021", False),
        (dict(type="boolean"), True, True),
        (dict(type="boolean"), "是", True),
        (dict(type="boolean"), "maybe", False),
        (dict(type="text", validation={"min_length": 5}), "短", False),
        (dict(type="text", validation={"max_length": 3}), "太长了吧", False),
        (dict(type="text", validation={"pattern": r"\d{6}"}), "310000", True),
        (dict(type="text", validation={"pattern": r"\d{6}"}), "31000", False),
        (dict(type="text"), "", False),
        (dict(type="text", required=False), "  ", True),
        (dict(type="text", required=False), None, True),
        (dict(type="text"), 42, False),
    ],
)
def test_validate_field(field, value, ok):
    form_field = FormField(key="f", label="字段", **field)
    message = validate_field(form_field, value, today=TODAY)
    assert (message is None) == ok, message
    if message is not None:
        assert translate(message, "zh_CN") and translate(message, "en") != translate(message, "zh_CN")


def test_sample_form_fields_accept_plausible_values(catalog):
    samples = {
        "phone": "13800138000", "date": "2020-01-01", "number": "1", "bank_account": "6222021234567890123",
        "id_number": "11010519491231002X", "boolean": True, "text": "示例县迎宾路88号",
        "textarea": "家中突发重大疾病，生活困难。",
    }
    for item in catalog.items:
        for field in item.form:
            value = field.options[0] if field.type == "choice" else samples[field.type]
            if field.validation.not_past:
                value = "2030-01-01"
            if field.type == "number" and field.validation.min is not None:
                value = str(field.validation.min)
            assert validate_field(field, value, today=TODAY) is None, (item.name, field.key)
