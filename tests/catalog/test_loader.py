"""The loader refuses a bad catalog whole, naming file, item code and field; the store keeps the last good one."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from kiosk.catalog import CatalogError, CatalogStore, load_catalog

GAOLING = "330199000300120000"  # 高龄津贴申领 in items/mzj.yaml
LINSHI = "330199000300220000"  # 临时救助


def _edit(path: Path, change) -> None:
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    change(data)
    path.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), encoding="utf-8")


def _item(data: dict, code: str) -> dict:
    return next(i for i in data["items"] if i["code"] == code)


def _problems(directory: Path) -> list[str]:
    with pytest.raises(CatalogError) as caught:
        load_catalog(directory)
    return [str(p) for p in caught.value.problems]


def _expect(directory: Path, file: str, code: str, field: str) -> str:
    problems = _problems(directory)
    matching = [p for p in problems if p.startswith(f"{file}: {code}: {field}")]
    assert matching, problems
    return matching[0]


def test_sample_catalog_loads(catalog):
    assert len(catalog.items) >= 60
    assert len(catalog.departments) >= 10
    assert len(catalog.bundles) >= 6
    assert len(catalog.version) == 64
    assert catalog.item(GAOLING).name == "高龄津贴申领"
    with pytest.raises(KeyError):
        catalog.item("nope")


@pytest.mark.parametrize(
    "name",
    ["高龄津贴申领", "城乡居民养老保险参保登记", "城乡居民医保参保登记", "临时救助", "社保待遇资格认证", "住院费用报销",
     "异地长期居住人员备案", "残疾人托养服务申请", "残疾人证换领", "独生子女父母光荣证", "户口迁移", "临时居民身份证",
     "社会保障卡申领", "社会保障卡补换", "社会保障卡金融功能激活", "林木采伐许可", "退役军人优待证", "生育津贴",
     "医保在职转退休", "就业登记", "失业登记", "农村宅基地建房", "老年乘车卡", "个体工商户设立登记"],
)
def test_every_item_named_in_the_issue_is_in_the_sample(catalog, name):
    item = next(i for i in catalog.items if i.name == name)
    assert item.legal_basis and item.conditions and item.process and item.result and item.materials and item.form


def test_sample_has_the_six_bundles_and_terminal_and_community_items(catalog):
    wanted = {"birth", "school", "retire", "after_death", "open_supermarket", "disability"}
    assert wanted <= {b.code for b in catalog.bundles}
    assert catalog.at_terminal_items() and catalog.community_items()
    assert len({i.department_code for i in catalog.items}) >= 10


def test_duplicate_item_code(catalog_copy):
    def dup(data):
        data["items"].append(dict(_item(data, GAOLING), basic_code="009999990000", name="重复事项"))

    _edit(catalog_copy / "items/mzj.yaml", dup)
    message = _expect(catalog_copy, "items/mzj.yaml", GAOLING, "code")
    assert "duplicate item code" in message


def test_duplicate_code_across_files(catalog_copy):
    def dup(data):
        data["items"].append(_item(yaml.safe_load((catalog_copy / "items/mzj.yaml").read_text()), GAOLING))

    _edit(catalog_copy / "items/rsj.yaml", dup)
    assert "also in items/mzj.yaml" in _expect(catalog_copy, "items/rsj.yaml", GAOLING, "code")


def test_bundle_naming_a_missing_item(catalog_copy):
    _edit(catalog_copy / "bundles.yaml", lambda d: d["bundles"][0]["items"].append("330199999999999999"))
    assert "330199999999999999" in _expect(catalog_copy, "bundles.yaml", "birth", "items")


def test_material_without_a_name(catalog_copy):
    _edit(catalog_copy / "items/mzj.yaml", lambda d: _item(d, GAOLING)["materials"][1].pop("name"))
    _expect(catalog_copy, "items/mzj.yaml", GAOLING, "materials[1].name")


def test_material_with_an_empty_name(catalog_copy):
    _edit(catalog_copy / "items/mzj.yaml", lambda d: _item(d, GAOLING)["materials"][0].update(name=""))
    _expect(catalog_copy, "items/mzj.yaml", GAOLING, "materials[0].name")


def test_negative_time_limit(catalog_copy):
    _edit(catalog_copy / "items/mzj.yaml", lambda d: _item(d, GAOLING).update(statutory_days=-1))
    _expect(catalog_copy, "items/mzj.yaml", GAOLING, "statutory_days")


def test_promised_beyond_statutory(catalog_copy):
    _edit(catalog_copy / "items/mzj.yaml", lambda d: _item(d, GAOLING).update(promised_days=99))
    assert "promised_days" in _expect(catalog_copy, "items/mzj.yaml", GAOLING, "-")


@pytest.mark.parametrize(
    ("change", "field", "words"),
    [
        (lambda i: i.update(colour="red"), "colour", "Extra inputs"),
        (lambda i: i.update(item_type="快办件"), "item_type", ""),
        (lambda i: i.update(consult_phone="call us"), "consult_phone", "telephone"),
        (lambda i: i.update(fee="工本费10元"), "-", "fee_basis"),
        (lambda i: i["form"].append({"key": "pick", "label": "选", "type": "choice", "options": ["一"]}), "form[5]",
         "two"),
        (lambda i: i["form"].append({"key": "re", "label": "x", "validation": {"pattern": "("}}), "form[5].validation",
         "compile"),
        (lambda i: i["materials"].append(dict(i["materials"][0])), "-", "duplicate material code"),
        (lambda i: i["materials"][0].update(deferrable=True), "materials[0]", "key material"),
        (lambda i: i.update(community={"regions": ["3x"], "handling_office": "某处"}), "community.regions", "prefix"),
        (lambda i: i.update(aliases=["高龄津贴申领"]), "-", "alias"),
        (lambda i: i.update(department_code="x"), "department", "header"),
        (lambda i: i["materials"][0].update(count=0), "materials[0].count", ""),
    ],
)
def test_other_refusals_name_the_field(catalog_copy, change, field, words):
    _edit(catalog_copy / "items/mzj.yaml", lambda d: change(_item(d, GAOLING)))
    assert words in _expect(catalog_copy, "items/mzj.yaml", GAOLING, field)


def test_every_problem_is_reported_not_just_the_first(catalog_copy):
    def two(data):
        _item(data, GAOLING).update(statutory_days=-1)
        _item(data, LINSHI)["materials"][0].pop("name")

    _edit(catalog_copy / "items/mzj.yaml", two)
    problems = _problems(catalog_copy)
    assert any(p.startswith(f"items/mzj.yaml: {GAOLING}: statutory_days") for p in problems)
    assert any(p.startswith(f"items/mzj.yaml: {LINSHI}: materials[0].name") for p in problems)


def test_file_level_refusals(catalog_copy):
    (catalog_copy / "items/broken.yaml").write_text("department: [unclosed\n", encoding="utf-8")
    (catalog_copy / "items/list.yaml").write_text("- a\n- b\n", encoding="utf-8")
    (catalog_copy / "items/ghost.yaml").write_text("department: NOPE1234\nitems: []\n", encoding="utf-8")
    (catalog_copy / "items/dupkey.yaml").write_text("department: a\ndepartment: b\n", encoding="utf-8")
    problems = _problems(catalog_copy)
    assert any(p.startswith("items/broken.yaml: -: -: cannot read") for p in problems)
    assert any(p.startswith("items/list.yaml: -: -: the file must hold a mapping") for p in problems)
    assert any(p.startswith("items/ghost.yaml: -: department: unknown department code") for p in problems)
    assert any(p.startswith("items/dupkey.yaml: -: -: cannot read") and "duplicate key" in p for p in problems)


def test_missing_departments_file_and_duplicate_department(catalog_copy):
    text = (catalog_copy / "departments.yaml").read_text(encoding="utf-8")
    _edit(catalog_copy / "departments.yaml", lambda d: d["departments"].append(d["departments"][0]))
    first = yaml.safe_load(text)["departments"][0]["code"]
    _expect(catalog_copy, "departments.yaml", first, "code")
    (catalog_copy / "departments.yaml").unlink()
    assert any(p.startswith("departments.yaml: -: -: missing") for p in _problems(catalog_copy))


def test_bundle_refusals(catalog_copy):
    def bad(data):
        data["bundles"].append(dict(data["bundles"][0]))  # duplicate code
        data["bundles"][1]["items"] = data["bundles"][1]["items"][:1]  # fewer than two items

    _edit(catalog_copy / "bundles.yaml", bad)
    _expect(catalog_copy, "bundles.yaml", "birth", "code")
    _expect(catalog_copy, "bundles.yaml", "school", "items")


def test_bundle_with_conflicting_form_fields(catalog_copy):
    # 出生登记 has baby_sex as a choice; make 出生医学证明's a free text field
    def to_text(data):
        next(f for i in data["items"] for f in i["form"] if f["key"] == "baby_sex").update(type="text", options=[])

    _edit(catalog_copy / "items/wjj.yaml", to_text)
    assert "baby_sex" in _expect(catalog_copy, "bundles.yaml", "birth", "items")


def test_store_keeps_the_last_good_catalog(catalog_copy):
    store = CatalogStore(catalog_copy)
    with pytest.raises(RuntimeError):
        _ = store.catalog
    assert store.reload()
    good = store.catalog
    _edit(catalog_copy / "items/mzj.yaml", lambda d: _item(d, GAOLING).update(statutory_days=-5))
    assert not store.reload()
    assert store.catalog is good
    assert any(p.field == "statutory_days" and p.code == GAOLING for p in store.last_problems)
    _edit(catalog_copy / "items/mzj.yaml", lambda d: _item(d, GAOLING).update(statutory_days=20, name="高龄津贴领取"))
    assert store.reload()
    assert store.catalog.item(GAOLING).name == "高龄津贴领取" and store.last_problems == []


def test_no_such_folder(tmp_path):
    assert "no such catalog folder" in _problems(tmp_path / "none")[0]
