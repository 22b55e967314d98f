"""Reading and writing the catalog folder, and the holder that keeps the last good catalog.

Layout (all YAML, UTF-8, one readable file per department so a change shows as a small diff)::

    departments.yaml      departments: [{code, name, short_name, phone, address, hours}, …]
    items/<any>.yaml      department: <department code>
                          items: [{code, basic_code, name, …}, …]   (department fields come from the header)
    bundles.yaml          bundles: [{code, name, life_event, description, items: [<item code>, …]}, …]

A catalog with any problem is refused whole; every problem names the file, the item (or bundle) code and the field.
"""

from __future__ import annotations

import hashlib
import logging
import threading
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel, ValidationError

from kiosk.catalog.model import Bundle, Department, Intent, Item
from kiosk.catalog.samples import PaperForm

log = logging.getLogger(__name__)

DEPARTMENTS_FILE = "departments.yaml"
BUNDLES_FILE = "bundles.yaml"
SEARCH_FILE = "search.yaml"  # intents: everyday words → items and bundles (optional)
FORMS_FILE = "forms.yaml"  # paper forms drawn as 样表 images (optional)
ITEMS_DIR = "items"


@dataclass(frozen=True)
class Problem:
    file: str
    code: str  # item, bundle or department code; "-" when the problem is with the file itself
    field: str  # dotted path such as "materials[2].name"; "-" for the whole entry
    message: str

    def __str__(self) -> str:
        return f"{self.file}: {self.code}: {self.field}: {self.message}"


class CatalogError(Exception):
    def __init__(self, problems: list[Problem]) -> None:
        self.problems = problems
        super().__init__(f"catalog refused, {len(problems)} problem(s):\n" + "\n".join(map(str, problems)))


class Catalog:
    """A validated catalog. Immutable once loaded; reload by building a new one."""

    def __init__(
        self,
        departments: Iterable[Department],
        items: Iterable[Item],
        bundles: Iterable[Bundle],
        version: str = "",
        intents: Iterable[Intent] = (),
        forms: Iterable[PaperForm] = (),
        root: Path | None = None,
    ) -> None:
        self.departments: tuple[Department, ...] = tuple(departments)
        self.items: tuple[Item, ...] = tuple(items)
        self.bundles: tuple[Bundle, ...] = tuple(bundles)
        self.intents: tuple[Intent, ...] = tuple(intents)
        self.forms: tuple[PaperForm, ...] = tuple(forms)
        self.root = root  # the folder it was loaded from: 样表 images are files under it
        self.version = version  # sha256 of the files, for the heartbeat's config_version
        self._items = {item.code: item for item in self.items}
        self._departments = {d.code: d for d in self.departments}
        self._bundles = {b.code: b for b in self.bundles}
        for bundle in self.bundles:
            bundle.bind([self._items[code] for code in bundle.items])

    def item(self, code: str) -> Item:
        """The item with this implementation code; KeyError if there is none."""
        return self._items[code]

    def department(self, code: str) -> Department:
        return self._departments[code]

    def bundle(self, code: str) -> Bundle:
        return self._bundles[code]

    def items_of(self, department_code: str) -> tuple[Item, ...]:
        return tuple(i for i in self.items if i.department_code == department_code)

    def bundles_with(self, item_code: str) -> tuple[Bundle, ...]:
        return tuple(b for b in self.bundles if item_code in b.items)

    def at_terminal_items(self) -> tuple[Item, ...]:
        return tuple(i for i in self.items if i.at_terminal)

    def community_items(self) -> tuple[Item, ...]:
        return tuple(i for i in self.items if i.community is not None)

    def __len__(self) -> int:
        return len(self.items)


# --- YAML ------------------------------------------------------------------------------------------------------


class _UniqueKeyLoader(getattr(yaml, "CSafeLoader", yaml.SafeLoader)):  # type: ignore[misc]
    """Safe loader that refuses a mapping with the same key twice (PyYAML silently keeps the last)."""

    def construct_mapping(self, node: yaml.MappingNode, deep: bool = False) -> dict[Any, Any]:
        keys = set()
        for key_node, _ in node.value:
            key = self.construct_object(key_node, deep=deep)
            if key in keys:
                raise yaml.constructor.ConstructorError(
                    None, None, f"duplicate key {key!r}", key_node.start_mark
                )
            keys.add(key)
        return super().construct_mapping(node, deep=deep)


def _read_yaml(path: Path, rel: str, problems: list[Problem]) -> Mapping[str, Any] | None:
    try:
        data = yaml.load(path.read_text(encoding="utf-8"), Loader=_UniqueKeyLoader)  # a SafeLoader subclass
    except (OSError, UnicodeDecodeError, yaml.YAMLError) as exc:
        problems.append(Problem(rel, "-", "-", f"cannot read: {exc}".replace("\n", " ")))
        return None
    if not isinstance(data, dict):
        problems.append(Problem(rel, "-", "-", "the file must hold a mapping at the top"))
        return None
    return data


def field_path(loc: tuple[int | str, ...]) -> str:
    out = ""
    for part in loc:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out or "-"


def _validate(
    model: type[BaseModel], raw: Any, rel: str, index: int, problems: list[Problem], label: str | None = None,
    **extra: Any,
) -> Any:
    code = label or (str(raw.get("code", f"#{index + 1}")) if isinstance(raw, dict) else f"#{index + 1}")
    if not isinstance(raw, dict):
        problems.append(Problem(rel, code, "-", "each entry must be a mapping"))
        return None
    try:
        return model.model_validate({**raw, **extra})
    except ValidationError as exc:
        for err in exc.errors():
            message = err["msg"].removeprefix("Value error, ")
            problems.append(Problem(rel, code, field_path(err["loc"]), message))
        return None


def _entries(data: Mapping[str, Any], key: str, rel: str, problems: list[Problem], allowed: set[str]) -> list[Any]:
    for unknown in sorted(set(data) - allowed):
        problems.append(Problem(rel, "-", str(unknown), "unknown top-level key"))
    entries = data.get(key, [])
    if entries is None:
        return []
    if not isinstance(entries, list):
        problems.append(Problem(rel, "-", key, "must be a list"))
        return []
    return entries


def load_catalog(directory: str | Path) -> Catalog:
    """Read and validate a catalog folder; raises CatalogError naming every problem found."""
    root = Path(directory)
    problems: list[Problem] = []
    digest = hashlib.sha256()
    if not root.is_dir():
        raise CatalogError([Problem(str(root), "-", "-", "no such catalog folder")])

    def read(path: Path) -> Mapping[str, Any] | None:
        rel = path.relative_to(root).as_posix()
        if path.is_file():
            digest.update(rel.encode() + b"\0" + path.read_bytes())
        return _read_yaml(path, rel, problems)

    departments: dict[str, Department] = {}
    dept_path = root / DEPARTMENTS_FILE
    data = read(dept_path) if dept_path.is_file() else None
    if data is None and not dept_path.is_file():
        problems.append(Problem(DEPARTMENTS_FILE, "-", "-", "missing"))
    for i, raw in enumerate(_entries(data or {}, "departments", DEPARTMENTS_FILE, problems, {"departments"})):
        dept = _validate(Department, raw, DEPARTMENTS_FILE, i, problems)
        if dept is None:
            continue
        if dept.code in departments:
            problems.append(Problem(DEPARTMENTS_FILE, dept.code, "code", "duplicate department code"))
        departments[dept.code] = dept

    items: dict[str, Item] = {}
    where: dict[str, str] = {}
    basic_codes: dict[str, str] = {}
    item_files = sorted((root / ITEMS_DIR).glob("*.yaml"))
    if not item_files:
        problems.append(Problem(ITEMS_DIR, "-", "-", "no item files (items/*.yaml)"))
    for path in item_files:
        rel = path.relative_to(root).as_posix()
        data = read(path)
        if data is None:
            continue
        dept_code = data.get("department")
        dept = departments.get(str(dept_code))
        if dept is None:
            problems.append(Problem(rel, "-", "department", f"unknown department code {dept_code!r}"))
        for i, raw in enumerate(_entries(data, "items", rel, problems, {"department", "items"})):
            if isinstance(raw, dict) and ({"department", "department_code"} & set(raw)):
                problems.append(
                    Problem(rel, str(raw.get("code", f"#{i + 1}")), "department", "set by the file's header only")
                )
                continue
            if dept is None:
                continue
            item = _validate(Item, raw, rel, i, problems, department_code=dept.code, department=dept.name)
            if item is None:
                continue
            if item.code in items:
                problems.append(Problem(rel, item.code, "code", f"duplicate item code (also in {where[item.code]})"))
                continue
            if item.basic_code in basic_codes:
                other = basic_codes[item.basic_code]
                problems.append(Problem(rel, item.code, "basic_code", f"basic code also used by item {other}"))
            items[item.code] = item
            where[item.code] = rel
            basic_codes[item.basic_code] = item.code

    bundles: dict[str, Bundle] = {}
    bundle_path = root / BUNDLES_FILE
    data = read(bundle_path) if bundle_path.is_file() else {}
    for i, raw in enumerate(_entries(data or {}, "bundles", BUNDLES_FILE, problems, {"bundles"})):
        bundle = _validate(Bundle, raw, BUNDLES_FILE, i, problems)
        if bundle is None:
            continue
        if bundle.code in bundles:
            problems.append(Problem(BUNDLES_FILE, bundle.code, "code", "duplicate bundle code"))
            continue
        missing = [code for code in bundle.items if code not in items]
        for code in missing:
            problems.append(Problem(BUNDLES_FILE, bundle.code, "items", f"no item with code {code}"))
        if missing:
            continue
        bundle.bind([items[code] for code in bundle.items])
        if not bundle.at_terminal and bundle.counter is None:
            off = "、".join(i.name for i in bundle.resolved_items if not i.at_terminal)
            message = f"say where the bundle is done ({off} not at the terminal)"
            problems.append(Problem(BUNDLES_FILE, bundle.code, "counter", message))
        for message in bundle.form_conflicts():
            problems.append(Problem(BUNDLES_FILE, bundle.code, "items", message))
        bundles[bundle.code] = bundle

    intents: list[Intent] = []
    search_path = root / SEARCH_FILE
    data = read(search_path) if search_path.is_file() else {}
    seen_phrases: dict[str, int] = {}
    for i, raw in enumerate(_entries(data or {}, "intents", SEARCH_FILE, problems, {"intents"})):
        phrases = raw.get("phrases") if isinstance(raw, dict) else None
        label = str(phrases[0]) if isinstance(phrases, list) and phrases else f"#{i + 1}"  # intents have no code
        intent = _validate(Intent, raw, SEARCH_FILE, i, problems, label=label)
        if intent is None:
            continue
        for code in intent.items:
            if code not in items:
                problems.append(Problem(SEARCH_FILE, label, "items", f"no item with code {code}"))
        for code in intent.bundles:
            if code not in bundles:
                problems.append(Problem(SEARCH_FILE, label, "bundles", f"no bundle with code {code}"))
        for phrase in intent.phrases:
            if phrase in seen_phrases:
                message = f"{phrase!r} also in intent #{seen_phrases[phrase]}"
                problems.append(Problem(SEARCH_FILE, label, "phrases", message))
            seen_phrases[phrase] = i + 1
        intents.append(intent)

    forms: list[PaperForm] = []
    forms_path = root / FORMS_FILE
    data = read(forms_path) if forms_path.is_file() else {}
    for i, raw in enumerate(_entries(data or {}, "forms", FORMS_FILE, problems, {"forms"})):
        form = _validate(PaperForm, raw, FORMS_FILE, i, problems)
        if form is None:
            continue
        for rel in (form.blank_path, form.sample_path):
            if not (root / rel).is_file():
                problems.append(Problem(FORMS_FILE, form.code, "code", f"{rel} not drawn (run: kiosk catalog samples)"))
        forms.append(form)
    drawn = {f.blank_path for f in forms} | {f.sample_path for f in forms}
    for item in items.values():
        for n, material in enumerate(item.materials):
            for name in ("blank_form", "sample"):
                rel = getattr(material, name)
                if rel is not None and rel not in drawn:
                    message = f"{rel} is not a form of {FORMS_FILE} (forms/<code>.png or samples/<code>.png)"
                    problems.append(Problem(where[item.code], item.code, f"materials[{n}].{name}", message))

    if problems:
        raise CatalogError(problems)
    return Catalog(
        departments.values(), items.values(), bundles.values(), version=digest.hexdigest(), intents=intents,
        forms=forms, root=root,
    )


class CatalogStore:
    """Holds the catalog in use; a reload that fails keeps the last good one (and says why)."""

    def __init__(self, directory: str | Path) -> None:
        self.directory = Path(directory)
        self._lock = threading.Lock()
        self._catalog: Catalog | None = None
        self.last_problems: list[Problem] = []

    @property
    def catalog(self) -> Catalog:
        if self._catalog is None:
            raise RuntimeError("no catalog loaded yet")
        return self._catalog

    def reload(self) -> bool:
        """Load the folder again; True if the new catalog is now in use."""
        try:
            catalog = load_catalog(self.directory)
        except CatalogError as exc:
            with self._lock:
                self.last_problems = exc.problems
            keeping = f"keeping version {self._catalog.version[:12]}" if self._catalog else "no catalog in use"
            log.error("catalog %s refused (%d problems), %s", self.directory, len(exc.problems), keeping)
            for problem in exc.problems:
                log.error("catalog problem: %s", problem)
            return False
        with self._lock:
            self._catalog = catalog
            self.last_problems = []
        log.info("catalog %s loaded: %d items, version %s", self.directory, len(catalog), catalog.version[:12])
        return True


# --- writing ---------------------------------------------------------------------------------------------------


def _dump(data: Any) -> str:
    return yaml.dump(data, Dumper=_Dumper, allow_unicode=True, sort_keys=False, width=10_000, default_flow_style=False)


class _Dumper(yaml.SafeDumper):
    """Indents lists under their key (the usual hand-written style) so files read and diff well."""

    def increase_indent(self, flow: bool = False, indentless: bool = False) -> None:
        super().increase_indent(flow, False)


def _plain(model: Any, exclude: set[str] | None = None) -> dict[str, Any]:
    data = model.model_dump(mode="json", exclude_defaults=True, exclude=exclude)
    return {k: v for k, v in data.items() if v != {}}  # a serialized mapping field left at its empty default


def write_catalog(
    directory: str | Path,
    departments: Iterable[Department],
    items: Iterable[Item],
    bundles: Iterable[Bundle] = (),
    file_names: Mapping[str, str] | None = None,
    intents: Iterable[Intent] = (),
) -> list[Path]:
    """Write a catalog folder in the project's format; ``file_names`` maps department code → items file stem."""
    root = Path(directory)
    (root / ITEMS_DIR).mkdir(parents=True, exist_ok=True)
    departments = list(departments)
    written = [root / DEPARTMENTS_FILE]
    written[0].write_text(_dump({"departments": [_plain(d) for d in departments]}), encoding="utf-8")
    by_dept: dict[str, list[Item]] = {}
    for item in items:
        by_dept.setdefault(item.department_code, []).append(item)
    for dept in departments:
        if dept.code not in by_dept:
            continue
        stem = (file_names or {}).get(dept.code, dept.code.lower())
        path = root / ITEMS_DIR / f"{stem}.yaml"
        body = {
            "department": dept.code,
            "items": [_plain(i, exclude={"department", "department_code"}) for i in by_dept[dept.code]],
        }
        path.write_text(f"# {dept.name}\n" + _dump(body), encoding="utf-8")
        written.append(path)
    bundles = list(bundles)
    path = root / BUNDLES_FILE
    path.write_text(_dump({"bundles": [_plain(b) for b in bundles]}), encoding="utf-8")
    written.append(path)
    intents = list(intents)
    if intents:
        path = root / SEARCH_FILE
        path.write_text(_dump({"intents": [_plain(i) for i in intents]}), encoding="utf-8")
        written.append(path)
    return written

