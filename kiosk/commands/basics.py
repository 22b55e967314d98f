"""``kiosk version``, ``kiosk config check FILE…`` ``kiosk i18n compile`` and ``kiosk i18n extract``."""

from __future__ import annotations

import argparse
from pathlib import Path


def register(cli) -> None:
    p = cli.command("version", help="print the kiosk software version")
    p.set_defaults(func=_version)

    p = cli.command("config", "check", help="validate configuration files and explain what each changes")
    p.add_argument("files", nargs="+", type=Path, metavar="FILE")
    p.set_defaults(func=_config_check)

    p = cli.command("i18n", "compile", help="compile the gettext catalogs (.po → .mo)")
    p.set_defaults(func=_i18n_compile)
    p = cli.command("i18n", "extract", help="write the service catalog's form words into the catalog.po files")
    p.set_defaults(func=_i18n_extract)


def _version(_args: argparse.Namespace) -> int:
    from kiosk import __version__

    print(f"tongban-kiosk {__version__}")
    return 0


def _flatten(data: dict, prefix: str = "") -> dict[str, object]:
    flat: dict[str, object] = {}
    for key, value in data.items():
        path = f"{prefix}{key}"
        if isinstance(value, dict):
            flat.update(_flatten(value, f"{path}."))
        else:
            flat[path] = value
    return flat


def _config_check(args: argparse.Namespace) -> int:
    from kiosk.config.loader import Layer, defaults_layer, load

    defaults = defaults_layer()
    failed = False
    for path in args.files:
        layer = Layer.from_file("site", path)
        loaded = load([defaults, layer])
        if loaded.errors:
            failed = True
            print(f"REFUSED {path}")
            for message in loaded.errors:
                print(f"  {message}")
            continue
        print(f"OK {path}")
        settings = loaded.settings.model_dump(mode="json")
        flat = _flatten(settings)
        base = _flatten(load([defaults]).settings.model_dump(mode="json"))
        changed = {key: value for key, value in flat.items() if base.get(key) != value}
        if not changed:
            print("  changes nothing: every value is the packaged default")
        for key, value in sorted(changed.items()):
            print(f"  {key} = {value!r} (default {base.get(key)!r})")
    return 1 if failed else 0


def _i18n_extract(_args: argparse.Namespace) -> int:
    from kiosk.catalog import load_catalog
    from kiosk.catalog.words import extract
    from kiosk.i18n import CATALOG_DOMAIN, LANGUAGES, locale_dir
    from kiosk.paths import config_dir

    files = {lang: locale_dir() / lang / "LC_MESSAGES" / f"{CATALOG_DOMAIN}.po" for lang in LANGUAGES}
    for lang, missing in extract(load_catalog(config_dir() / "catalog"), files).items():
        print(f"{files[lang]}: {missing} untranslated")
    return 0


def _i18n_compile(_args: argparse.Namespace) -> int:
    from kiosk.i18n import compile_catalogs

    for path in compile_catalogs():
        print(path)
    return 0
