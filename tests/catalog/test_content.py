"""The shipped catalog is a county centre's: enough items and departments, and every guide complete to the national
standard (设定依据 with article, per-item conditions and steps, time limits, fees with basis, per-department lines,
materials with form, count and source)."""

from __future__ import annotations

import re
from collections import Counter

import pytest

from kiosk.catalog import load_catalog
from kiosk.paths import config_dir

ARTICLE = re.compile(r"第[一二三四五六七八九十百零（）()]+(条|项|部分|款)")


@pytest.fixture(scope="module")
def catalog():
    return load_catalog(config_dir() / "catalog")


def test_a_county_centre_and_its_24_hour_corner(catalog):
    assert len(catalog.items) >= 120 and len(catalog.departments) >= 16
    names = {i.name for i in catalog.items}
    for wanted in ("普通护照签发", "婚姻登记预约", "住房公积金租房提取", "本人名下不动产登记信息查询"):
        assert wanted in names
    assert {i.department_code for i in catalog.items} == {d.code for d in catalog.departments}


def test_every_guide_is_complete(catalog):
    processes = Counter(i.process for i in catalog.items)
    for item in catalog.items:
        dept = catalog.department(item.department_code)
        assert any(ARTICLE.search(b) for b in item.legal_basis), item.name
        assert processes[item.process] == 1, f"{item.name}: process steps shared with another item"
        assert len(item.process) >= 3 and item.conditions
        assert dept.complaint_phone in item.complaint, item.name
        assert item.fee == "不收费" or item.fee_basis
        assert item.materials, item.name
        assert item.promised_days <= item.statutory_days


def test_materials_say_form_count_and_source(catalog):
    forms = Counter(m.form for i in catalog.items for m in i.materials)
    sources = Counter(m.source for i in catalog.items for m in i.materials)
    assert len(forms) >= 3 and len(sources) == 3  # 原件 / 复印件 / 原件和复印件; 自备 / 核发 / 电子证照
    for item in catalog.items:
        for material in item.materials:
            if material.ecert:
                assert material.source.value in ("电子证照", "政府部门核发"), (item.name, material.name)


def test_complaint_lines_are_per_department(catalog):
    assert len({d.complaint_phone for d in catalog.departments}) == len(catalog.departments)


def test_sample_forms_are_drawn_from_their_definitions(catalog):
    from PIL import Image

    from kiosk.catalog.samples import draw

    assert len(catalog.forms) >= 10
    for form in catalog.forms:
        for rel, filled in ((form.blank_path, False), (form.sample_path, True)):
            with Image.open(catalog.root / rel) as image:
                assert image.size == draw(form, filled).size, rel  # redraw with `kiosk catalog samples` after edits
    referenced = {m.sample for i in catalog.items for m in i.materials if m.sample}
    assert referenced == {f.sample_path for f in catalog.forms}  # every drawn form is used by some material


def test_a_material_naming_a_missing_sample_is_refused_naming_file_code_and_field(tmp_path):
    import shutil

    from kiosk.catalog import CatalogError

    root = tmp_path / "catalog"
    shutil.copytree(config_dir() / "catalog", root)
    (root / "samples" / "income_proof.png").unlink()
    with pytest.raises(CatalogError) as refused:
        load_catalog(root)
    assert any(str(p).startswith("forms.yaml: income_proof: code: samples/income_proof.png not drawn")
               for p in refused.value.problems)


@pytest.mark.parametrize(
    "edit, expected",
    [
        (lambda d: d["intents"][0]["items"].append("330199999999999999"),
         "search.yaml: 办护照: items: no item with code 330199999999999999"),
        (lambda d: d["intents"][1]["phrases"].append("办护照"),
         "search.yaml: 去香港: phrases: '办护照' also in intent #1"),
        (lambda d: d["intents"].append({"phrases": ["空的"]}),
         "search.yaml: 空的: -: an intent needs items or bundles"),
    ],
)
def test_bad_intents_are_refused_naming_file_code_and_field(tmp_path, edit, expected):
    import shutil

    import yaml

    from kiosk.catalog import CatalogError

    root = tmp_path / "catalog"
    shutil.copytree(config_dir() / "catalog", root)
    data = yaml.safe_load((root / "search.yaml").read_text(encoding="utf-8"))
    edit(data)
    (root / "search.yaml").write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    with pytest.raises(CatalogError) as refused:
        load_catalog(root)
    assert expected in [str(p) for p in refused.value.problems]


def test_rule_words_in_a_handling_office_and_a_bundle_without_counter_are_refused(tmp_path):
    import shutil

    import yaml

    from kiosk.catalog import CatalogError

    root = tmp_path / "catalog"
    shutil.copytree(config_dir() / "catalog", root)
    path = root / "items" / "mzj.yaml"
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    data["items"][0]["community"]["handling_office"] = "户籍地乡镇（街道）民政办"
    path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    bundles = yaml.safe_load((root / "bundles.yaml").read_text(encoding="utf-8"))
    del bundles["bundles"][0]["counter"]
    (root / "bundles.yaml").write_text(yaml.safe_dump(bundles, allow_unicode=True), encoding="utf-8")
    with pytest.raises(CatalogError) as refused:
        load_catalog(root)
    problems = [str(p) for p in refused.value.problems]
    assert any(p.startswith("items/mzj.yaml: 330199000300120000: community.handling_office: name the kind")
               for p in problems)
    assert any(p.startswith("bundles.yaml: birth: counter: say where the bundle is done") for p in problems)
