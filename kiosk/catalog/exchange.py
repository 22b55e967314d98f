"""Import and export of the national exchange format (政务服务事项 数据交换字段) as CSV or JSON.

JSON: a list of items (or ``{"items": [...]}``), each with its ``materials`` list. CSV: one row per material, the
item's fields repeated on each row (rows with the same ``task_code`` form one item; an item without materials is
one row with empty material columns). Fields the national format lacks (aliases, form, 社区通办, terminal flag,
electronic-certificate and commitment options) travel in ``x_``-prefixed extension columns, so a catalog survives
export → import unchanged. Problems are reported like the loader's: file, item code, field.
"""

from __future__ import annotations

import csv
import io
import json
import re
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from kiosk.catalog.loader import CatalogError, Problem, field_path
from kiosk.catalog.model import Department, Item
from kiosk.catalog.pinyin import syllables

# national field → item field
ITEM_FIELDS = {
    "task_code": "code",
    "catalog_code": "basic_code",
    "task_name": "name",
    "task_type": "item_type",
    "dept_code": "department_code",
    "dept_name": "department",
    "by_law": "legal_basis",
    "accept_condition": "conditions",
    "handle_flow": "process",
    "anticipate_day": "statutory_days",
    "promise_day": "promised_days",
    "charge_standard": "fee",
    "charge_basis": "fee_basis",
    "link_way": "consult_phone",
    "supervise_way": "complaint",
    "transact_addr": "place",
    "transact_time": "hours",
    "limit_scene_num": "visits",
    "is_online": "online",
    "result_name": "result",
    "serve_object": "audience",
    "x_aliases": "aliases",
    "x_at_terminal": "at_terminal",
    "x_agent_allowed": "agent_allowed",
    "x_form": "form",
    "x_community": "community",
    "x_routing": "routing",
    "x_identity_documents": "identity_documents",
    "x_outputs": "outputs",
}
MATERIAL_FIELDS = {
    "material_code": "code",
    "material_name": "name",
    "is_need": "required",
    "material_type": "form",
    "page_num": "count",
    "form_guide": "blank_form",
    "example_guide": "sample",
    "x_ecert": "ecert",
    "x_commitment": "commitment_allowed",
    "x_deferrable": "deferrable",
    "x_key": "key",
    "material_note": "note",
    "material_source": "source",
    "x_document": "document",
    "x_whose": "whose",
    "x_identity": "identity",
}
_LISTS = {"legal_basis", "conditions", "process", "aliases", "audience", "identity_documents", "outputs"}
_BOOLS = {"online", "at_terminal", "agent_allowed", "required", "commitment_allowed", "deferrable", "key", "identity"}
_INTS = {"statutory_days", "promised_days", "visits", "count"}
_JSON_COLUMNS = {"x_form", "x_community"}  # nested extension data, as JSON text in a cell
_TRUE = {"1", "true", "yes", "y", "是", "必要", "必需", "必须"}
_TASK_TYPES = {"1": "即办件", "2": "承诺件"}
_LIST_SEP = "\n"  # national exports put one basis / condition / step per line


def _from_national(value: Any, field: str, column: str) -> Any:
    if value is None or value == "":
        return None
    if field in _LISTS:
        return [s.strip() for s in value if str(s).strip()] if isinstance(value, list) else [
            s.strip() for s in str(value).split(_LIST_SEP) if s.strip()
        ]
    if field in _BOOLS:
        return value if isinstance(value, bool) else str(value).strip().lower() in _TRUE
    if field in _INTS:
        try:
            return int(str(value).strip())
        except ValueError:
            return value  # the model names the field
    if column in _JSON_COLUMNS:
        return json.loads(value) if isinstance(value, str) else value
    if field == "item_type":
        return _TASK_TYPES.get(str(value).strip(), value)
    if field == "consult_phone":  # link_way often reads "咨询电话：0571-86010120"
        found = re.search(r"0\d{2,3}-?\d{7,8}|1[3-9]\d{9}|12345", str(value))
        return found.group(0) if found else value
    return value


def _material_code(name: str, taken: set[str]) -> str:
    """A stable slug from the name's pinyin initials when the source has no material code."""
    base = "m_" + ("".join(s[:1] for s in syllables(name) if s.isalnum()) or "x")
    code, n = base, 2
    while code in taken:
        code, n = f"{base}_{n}", n + 1
    return code


def _item_from_record(record: dict[str, Any], rel: str, index: int, problems: list[Problem]) -> Item | None:
    code = str(record.get("task_code") or f"#{index + 1}")
    data: dict[str, Any] = {}
    for national, field in ITEM_FIELDS.items():
        try:
            value = _from_national(record.get(national), field, national)
        except json.JSONDecodeError as exc:
            problems.append(Problem(rel, code, national, f"not JSON: {exc}"))
            continue
        if value is not None:
            data[field] = value
    materials = []
    taken: set[str] = set()
    for row in record.get("materials") or []:
        material = {f: v for n, f in MATERIAL_FIELDS.items() if (v := _from_national(row.get(n), f, n)) is not None}
        if "code" not in material and material.get("name"):
            material["code"] = _material_code(material["name"], taken)
        taken.add(str(material.get("code")))
        materials.append(material)
    data["materials"] = materials
    try:
        return Item.model_validate(data)
    except ValidationError as exc:
        for err in exc.errors():
            problems.append(Problem(rel, code, field_path(err["loc"]), err["msg"].removeprefix("Value error, ")))
        return None


def _records(path: Path) -> list[dict[str, Any]]:
    text = path.read_text(encoding="utf-8-sig")
    if path.suffix.lower() == ".json":
        data = json.loads(text)
        return data["items"] if isinstance(data, dict) else data
    records: dict[str, dict[str, Any]] = {}
    for row in csv.DictReader(io.StringIO(text)):
        row = {k.strip().lower(): v for k, v in row.items() if k}
        key = row.get("task_code") or f"#{len(records) + 1}"
        record = records.setdefault(key, {**{k: v for k, v in row.items() if k in ITEM_FIELDS}, "materials": []})
        if row.get("material_name") or row.get("material_code"):
            record["materials"].append({k: v for k, v in row.items() if k in MATERIAL_FIELDS})
    return list(records.values())


def import_exchange(path: str | Path) -> tuple[list[Department], list[Item]]:
    """Read a national-format CSV or JSON file; raises CatalogError naming file, item code and field."""
    path = Path(path)
    rel = path.name
    problems: list[Problem] = []
    try:
        records = _records(path)
    except (OSError, UnicodeDecodeError, json.JSONDecodeError, csv.Error, KeyError, TypeError) as exc:
        raise CatalogError([Problem(rel, "-", "-", f"cannot read: {exc}")]) from exc
    items: list[Item] = []
    seen: set[str] = set()
    for i, record in enumerate(records):
        item = _item_from_record(record, rel, i, problems)
        if item is None:
            continue
        if item.code in seen:
            problems.append(Problem(rel, item.code, "task_code", "duplicate item code"))
            continue
        seen.add(item.code)
        items.append(item)
    departments: dict[str, Department] = {}
    for item in items:
        if item.department_code in departments:
            continue
        try:
            departments[item.department_code] = Department(
                code=item.department_code, name=item.department, short_name=item.department,
                phone=item.consult_phone, complaint_phone=_complaint_phone(item.complaint),
                address=item.place, hours=item.hours,
            )
        except ValidationError as exc:
            for err in exc.errors():
                problems.append(Problem(rel, item.code, f"department.{field_path(err['loc'])}", err["msg"]))
    if problems:
        raise CatalogError(problems)
    return list(departments.values()), items


def _complaint_phone(text: str) -> str:
    """The last telephone number in the 监督投诉 text (the department's own line), else the 12345 hotline."""
    found = re.findall(r"0\d{2,3}-?\d{7,8}|1[3-9]\d{9}", text)
    return found[-1] if found else "12345"


def _to_national(value: Any, field: str, column: str) -> Any:
    if field in _LISTS:
        return _LIST_SEP.join(value)
    if column in _JSON_COLUMNS:
        return json.dumps(value, ensure_ascii=False) if value not in (None, [], ()) else ""
    if field in _BOOLS:
        return "1" if value else "0"
    return "" if value is None else value


def export_records(items: Iterable[Item]) -> list[dict[str, Any]]:
    """Items as national-format records (strings, lists joined by newlines, extensions as JSON text)."""
    records = []
    for item in items:
        data = item.model_dump(mode="json")
        record = {national: _to_national(data[field], field, national) for national, field in ITEM_FIELDS.items()}
        record["materials"] = [
            {national: _to_national(m[field], field, national) for national, field in MATERIAL_FIELDS.items()}
            for m in data["materials"]
        ]
        records.append(record)
    return records


def write_exchange(path: str | Path, items: Iterable[Item]) -> None:
    """Write items in the national format: JSON if the name ends in .json, else CSV (one row per material)."""
    path = Path(path)
    records = export_records(items)
    if path.suffix.lower() == ".json":
        path.write_text(json.dumps(records, ensure_ascii=False, indent=1), encoding="utf-8")
        return
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=[*ITEM_FIELDS, *MATERIAL_FIELDS])
    writer.writeheader()
    for record in records:
        base = {k: v for k, v in record.items() if k != "materials"}
        for material in record["materials"] or [{}]:
            writer.writerow({**base, **material})
    path.write_text(out.getvalue(), encoding="utf-8")
