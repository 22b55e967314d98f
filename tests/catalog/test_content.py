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
