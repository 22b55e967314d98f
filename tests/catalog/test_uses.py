"""UseCounts: use counts survive a restart, saved atomically; a damaged file does not stop the kiosk."""

from __future__ import annotations

import json
import logging
from pathlib import Path

from kiosk.catalog.loader import Catalog
from kiosk.catalog.model import Department, Item
from kiosk.catalog.search import SearchIndex
from kiosk.catalog.uses import FILE_NAME, UseCounts


def _catalog(names: list[str]) -> Catalog:
    dept = Department(code="11330199MB0010100X", name="示例县测试局", short_name="测试局", phone="0571-86010000",
                      complaint_phone="12345",
                      address="示例县", hours="工作日")
    items = [
        Item(code=f"330199{i:012d}", basic_code=f"{i:012d}", name=name, department_code=dept.code,
             department=dept.name, item_type="即办件", legal_basis=("x",), conditions=("x",), process=("x",),
             statutory_days=1, promised_days=0, consult_phone="0571-86010000", complaint="12345", place="中心",
             hours="工作日", visits=0, at_terminal=True, result="x")
        for i, name in enumerate(names)
    ]
    return Catalog([dept], items, [])


CATALOG = _catalog(["社会保障卡申领", "社会保障卡补换", "社会保障卡挂失"])
LOST = CATALOG.items[2].code


def test_record_use_is_saved_and_ranks_the_item_after_a_restart(tmp_path: Path):
    path = tmp_path / "data" / FILE_NAME
    index = SearchIndex(CATALOG, uses=UseCounts(path))
    assert index.search("社会保障卡", limit=1)[0].item.name == "社会保障卡申领"
    index.record_use(LOST)
    index.record_use(LOST)
    assert json.loads(path.read_text("utf-8")) == {"version": 1, "uses": {LOST: 2}}
    assert not list(path.parent.glob("*.tmp"))  # written by rename, nothing left over

    restarted = SearchIndex(CATALOG, uses=UseCounts(path))
    assert restarted.search("shbzk", limit=1)[0].item.name == "社会保障卡挂失"
    assert restarted.uses == {LOST: 2}


def test_missing_file_means_no_uses_yet(tmp_path: Path):
    counts = UseCounts(tmp_path / FILE_NAME)
    assert dict(counts) == {} and not (tmp_path / FILE_NAME).exists()
    counts.add("330199000000000001", 3)
    assert dict(UseCounts(tmp_path / FILE_NAME)) == {"330199000000000001": 3}


def test_a_plain_mapping_still_works_and_is_not_written(tmp_path: Path):
    uses = {LOST: 5}
    index = SearchIndex(CATALOG, uses=uses)
    index.record_use(CATALOG.items[1].code)
    assert uses == {LOST: 5}  # the caller's dict is not changed behind its back
    assert index.uses == {LOST: 5, CATALOG.items[1].code: 1}


def test_counts_of_items_no_longer_in_the_catalog_are_kept_but_ignored(tmp_path: Path):
    path = tmp_path / FILE_NAME
    path.write_text(json.dumps({"version": 1, "uses": {"330199999999999999": 9, LOST: 1}}), "utf-8")
    index = SearchIndex(CATALOG, uses=UseCounts(path))
    assert index.uses == {LOST: 1}
    index.record_use(LOST)
    assert json.loads(path.read_text("utf-8"))["uses"] == {"330199999999999999": 9, LOST: 2}


def test_damaged_files_start_afresh_with_a_warning(tmp_path: Path, caplog):
    path = tmp_path / FILE_NAME
    for content in ('{"version": 1, "uses": {', "[]", '{"version": 2, "uses": {}}', '{"version": 1, "uses": [1]}'):
        path.write_text(content, "utf-8")
        with caplog.at_level(logging.WARNING, logger="kiosk.catalog.uses"):
            caplog.clear()
            assert dict(UseCounts(path)) == {}
        assert "use counts" in caplog.text
    path.write_bytes(b"\xff\xfe\x00garbage")
    assert dict(UseCounts(path)) == {}
    counts = UseCounts(path)
    counts.add(LOST)
    assert json.loads(path.read_text("utf-8"))["uses"] == {LOST: 1}


def test_unsound_entries_are_dropped_and_the_rest_kept(tmp_path: Path):
    path = tmp_path / FILE_NAME
    uses = {LOST: 4, "a": -1, "b": "7", "c": 2.5, "d": True, "e": 0}
    path.write_text(json.dumps({"version": 1, "uses": uses}), "utf-8")
    assert dict(UseCounts(path)) == {LOST: 4}
