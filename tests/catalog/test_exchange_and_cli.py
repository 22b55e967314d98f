"""National exchange import/export round trip, import refusals, and the ``kiosk catalog`` commands."""

from __future__ import annotations

import csv
import json

import pytest

from kiosk.catalog import CatalogError, load_catalog
from kiosk.catalog.exchange import import_exchange, write_exchange
from kiosk.cli import main

from .conftest import SAMPLE


@pytest.mark.parametrize("suffix", [".csv", ".json"])
def test_round_trip(catalog, tmp_path, suffix):
    path = tmp_path / f"export{suffix}"
    write_exchange(path, catalog.items)
    departments, items = import_exchange(path)
    assert items == list(catalog.items)
    assert {d.code for d in departments} == {d.code for d in catalog.departments}


def _without_form_images(item):
    materials = tuple(m.model_copy(update={"blank_form": None, "sample": None}) for m in item.materials)
    return item.model_copy(update={"materials": materials})


def test_round_trip_through_the_cli_writes_a_loadable_catalog(catalog, tmp_path, capsys):
    exported = tmp_path / "items.csv"
    assert main(["catalog", "export", str(exported), "--dir", str(SAMPLE)]) == 0
    out = tmp_path / "imported"
    assert main(["catalog", "import", str(exported), "--out", str(out)]) == 0
    # everything but the 样表 image references, which name files of the source folder (forms.yaml)
    assert sorted(load_catalog(out).items, key=str) == sorted(map(_without_form_images, catalog.items), key=str)
    assert main(["catalog", "import", str(exported), "--out", str(out)]) == 1  # refuses to overwrite
    assert "--force" in capsys.readouterr().err


def test_plain_national_csv_without_extensions(tmp_path):
    path = tmp_path / "national.csv"
    rows = [
        {"task_code": "330199000100110001", "catalog_code": "000100110001", "task_name": "城乡居民养老保险参保登记",
         "task_type": "1", "dept_code": "11330199MB0010100K", "dept_name": "示例县人力资源和社会保障局",
         "by_law": "《中华人民共和国社会保险法》\n《社会保险经办条例》", "accept_condition": "年满16周岁",
         "handle_flow": "申请\n受理\n办结", "anticipate_day": "5", "promise_day": "0", "charge_standard": "不收费",
         "link_way": "咨询电话：0571-86010120", "supervise_way": "12345", "transact_addr": "行政服务中心二楼",
         "transact_time": "工作日", "limit_scene_num": "1", "is_online": "是", "result_name": "参保登记",
         "material_name": name, "is_need": need, "material_type": "原件", "page_num": "1"}
        for name, need in (("居民身份证", "必要"), ("居民户口簿", "非必要"))
    ]
    with path.open("w", encoding="utf-8", newline="") as f:
        writer = csv.DictWriter(f, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
    departments, items = import_exchange(path)
    (item,) = items
    assert item.item_type == "即办件" and item.consult_phone == "0571-86010120" and item.online
    assert item.legal_basis == ("《中华人民共和国社会保险法》", "《社会保险经办条例》")
    assert [(m.code, m.required) for m in item.materials] == [("m_jmsfz", True), ("m_jmhkb", False)]
    assert departments[0].name == "示例县人力资源和社会保障局"


def test_import_refusals_name_file_code_and_field(tmp_path, catalog):
    path = tmp_path / "bad.json"
    write_exchange(path, catalog.items[:3])
    records = json.loads(path.read_text(encoding="utf-8"))
    records[0]["anticipate_day"] = "-3"
    records[1]["materials"][0]["material_name"] = ""
    records.append(records[2])
    path.write_text(json.dumps(records, ensure_ascii=False), encoding="utf-8")
    with pytest.raises(CatalogError) as caught:
        import_exchange(path)
    problems = [str(p) for p in caught.value.problems]
    assert f"bad.json: {records[0]['task_code']}: statutory_days: " in "\n".join(problems)
    assert any(p.startswith(f"bad.json: {records[1]['task_code']}: materials[0].name") for p in problems)
    assert any(p.startswith(f"bad.json: {records[2]['task_code']}: task_code: duplicate") for p in problems)
    (tmp_path / "junk.json").write_text("{not json", encoding="utf-8")
    with pytest.raises(CatalogError, match="cannot read"):
        import_exchange(tmp_path / "junk.json")
    assert main(["catalog", "import", str(path), "--out", str(tmp_path / "o")]) == 1


def test_cli_search_json(capsys):
    assert main(["catalog", "search", "老年卡", "--json", "--limit", "3", "--dir", str(SAMPLE)]) == 0
    rows = json.loads(capsys.readouterr().out)
    assert rows[0]["name"] == "老年乘车卡"
    assert set(rows[0]) == {"code", "name", "department", "score", "at_terminal"}
    assert len(rows) <= 3


def test_cli_search_text_and_at_terminal(capsys):
    assert main(["catalog", "search", "gljt", "--at-terminal", "--dir", str(SAMPLE)]) == 0
    assert "高龄津贴申领" in capsys.readouterr().out
    assert main(["catalog", "search", "zzzzzzzz", "--dir", str(SAMPLE)]) == 0
    assert "no match" in capsys.readouterr().err


def test_cli_check(capsys, catalog_copy):
    assert main(["catalog", "check"]) == 0  # the packaged default folder
    assert "OK" in capsys.readouterr().out
    (catalog_copy / "bundles.yaml").write_text("bundles:\n  - code: x\n", encoding="utf-8")
    assert main(["catalog", "check", str(catalog_copy)]) == 1
    err = capsys.readouterr().err
    assert "bundles.yaml: x: name: " in err and "refused" in err
