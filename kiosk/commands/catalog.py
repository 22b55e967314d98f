"""``kiosk catalog search|check|import|export``: the service catalog from the command line."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path


def _default_dir() -> Path:
    from kiosk.paths import config_dir

    return config_dir() / "catalog"


def _search(args: argparse.Namespace) -> int:
    from kiosk.catalog import CatalogError, load_catalog
    from kiosk.catalog.search import Hit, SearchIndex

    try:
        catalog = load_catalog(args.dir or _default_dir())
    except CatalogError as exc:
        print(exc, file=sys.stderr)
        return 1
    hits = SearchIndex(catalog).search_all(args.query, limit=args.limit, at_terminal_only=args.at_terminal)
    if args.json:
        rows = [
            {"code": h.item.code, "name": h.item.name, "department": h.item.department, "score": h.score,
             "at_terminal": h.item.at_terminal}
            if isinstance(h, Hit)
            else {"bundle": h.bundle.code, "name": h.bundle.name, "score": h.score, "at_terminal": h.bundle.at_terminal}
            for h in hits
        ]
        print(json.dumps(rows, ensure_ascii=False, indent=1))
        return 0
    for h in hits:
        if isinstance(h, Hit):
            where = "本机可办" if h.item.at_terminal else "窗口办理"
            print(f"{h.score:>4}  {h.item.name}  [{h.item.department} · {where}]  {h.item.code}")
        else:
            where = "本机可办" if h.bundle.at_terminal else "部分事项窗口办理"
            print(f"{h.score:>4}  {h.bundle.name}  [一件事 · {where}]  {h.bundle.code}")
    if not hits:
        print("(no match)", file=sys.stderr)
    return 0


def _check(args: argparse.Namespace) -> int:
    from kiosk.catalog import CatalogError, load_catalog

    directory = Path(args.dir) if args.dir else _default_dir()
    try:
        catalog = load_catalog(directory)
    except CatalogError as exc:
        for problem in exc.problems:
            print(problem, file=sys.stderr)
        print(f"catalog {directory} refused: {len(exc.problems)} problem(s)", file=sys.stderr)
        return 1
    terminal = len(catalog.at_terminal_items())
    community = len(catalog.community_items())
    print(
        f"catalog {directory} OK: {len(catalog.items)} items ({terminal} at this terminal, {community} 社区通办), "
        f"{len(catalog.departments)} departments, {len(catalog.bundles)} bundles, version {catalog.version[:12]}"
    )
    return 0


def _import(args: argparse.Namespace) -> int:
    from kiosk.catalog import CatalogError, load_catalog, write_catalog
    from kiosk.catalog.exchange import import_exchange

    try:
        departments, items = import_exchange(args.file)
    except CatalogError as exc:
        for problem in exc.problems:
            print(problem, file=sys.stderr)
        return 1
    out = Path(args.out)
    if (out / "departments.yaml").exists() and not args.force:
        print(f"{out} already holds a catalog; pass --force to overwrite it", file=sys.stderr)
        return 1
    # 样表 images are files of a catalog folder (forms.yaml, `kiosk catalog samples`); the exchange only names them
    drawn = [i for i in items if any(m.blank_form or m.sample for m in i.materials)]
    items = [_without_form_images(i) for i in items]
    if drawn:
        print(f"{len(drawn)} items named 样表 files: left out; define them in forms.yaml and run kiosk catalog samples",
              file=sys.stderr)
    write_catalog(out, departments, items)
    try:
        load_catalog(out)
    except CatalogError as exc:
        print(exc, file=sys.stderr)
        return 1
    print(f"imported {len(items)} items of {len(departments)} departments into {out}")
    return 0


def _without_form_images(item):  # -> Item
    materials = tuple(m.model_copy(update={"blank_form": None, "sample": None}) for m in item.materials)
    return item.model_copy(update={"materials": materials})


def _export(args: argparse.Namespace) -> int:
    from kiosk.catalog import CatalogError, load_catalog
    from kiosk.catalog.exchange import write_exchange

    try:
        catalog = load_catalog(args.dir or _default_dir())
    except CatalogError as exc:
        print(exc, file=sys.stderr)
        return 1
    write_exchange(args.file, catalog.items)
    print(f"exported {len(catalog.items)} items to {args.file}")
    return 0


def _samples(args: argparse.Namespace) -> int:
    """Draw forms.yaml's paper forms: forms/<code>.png blank and samples/<code>.png (样表), then check the folder."""
    import yaml
    from pydantic import ValidationError

    from kiosk.catalog import CatalogError, load_catalog
    from kiosk.catalog.loader import FORMS_FILE
    from kiosk.catalog.samples import PaperForm, draw_all

    root = Path(args.dir or _default_dir())
    try:
        raw = yaml.safe_load((root / FORMS_FILE).read_text(encoding="utf-8")) or {}
        forms = [PaperForm.model_validate(entry) for entry in raw.get("forms") or []]
    except (OSError, yaml.YAMLError, ValidationError, AttributeError) as exc:
        print(f"{FORMS_FILE}: {exc}", file=sys.stderr)
        return 1
    written = draw_all(forms, root)
    print(f"drew {len(written)} images for {len(forms)} forms under {root}")
    try:
        load_catalog(root)
    except CatalogError as exc:
        print(exc, file=sys.stderr)
        return 1
    return 0


def register(cli) -> None:
    p = cli.command("catalog", "search", help="search the service catalog as the touchscreen does")
    p.add_argument("query")
    p.add_argument("--json", action="store_true", help="JSON list of {code, name, department, score, at_terminal}")
    p.add_argument("--limit", type=int, default=10)
    p.add_argument("--at-terminal", action="store_true", help="only items doable at this terminal (本机可办)")
    p.add_argument("--dir", type=Path, help="catalog folder (default: the packaged config/catalog)")
    p.set_defaults(func=_search)

    p = cli.command("catalog", "check", help="validate a catalog folder; every problem names file, code and field")
    p.add_argument("dir", nargs="?", help="catalog folder (default: the packaged config/catalog)")
    p.set_defaults(func=_check)

    p = cli.command("catalog", "samples", help="draw the 样表 images of forms.yaml (blank and filled-in PNGs)")
    p.add_argument("--dir", type=Path, help="catalog folder (default: the packaged config/catalog)")
    p.set_defaults(func=_samples)

    p = cli.command("catalog", "import", help="import national exchange CSV/JSON into the project's YAML format")
    p.add_argument("file", type=Path)
    p.add_argument("--out", default="catalog-import", help="folder to write (default: ./catalog-import)")
    p.add_argument("--force", action="store_true", help="overwrite a catalog already in --out")
    p.set_defaults(func=_import)

    p = cli.command("catalog", "export", help="export the catalog as national exchange CSV (or JSON by file name)")
    p.add_argument("file", type=Path)
    p.add_argument("--dir", type=Path, help="catalog folder (default: the packaged config/catalog)")
    p.set_defaults(func=_export)
