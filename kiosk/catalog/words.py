"""The service catalog's words a resident acts on, for the ``catalog`` gettext domain (``kiosk.i18n``).

The catalog follows the national item standard and is Chinese. What a reader of another language must understand
to act — each form field's label, its choices and yes/no, the materials' 原件/复印件 form and their source — is
translated like any gettext message, with the catalog's Chinese as the message id. Proper names (items, offices,
materials, documents, the guide's prose) stay Chinese: they are what is printed on the resident's papers and what
staff and the platform call them. ``kiosk i18n extract`` writes the ids of the packaged catalog into both
``catalog.po`` files, so a new label shows up as an untranslated entry (and ``tests/ui/test_i18n.py`` fails)
instead of reaching an English screen in Chinese. Values are always sent to the platform in Chinese.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from babel.messages.catalog import Catalog as PoCatalog
from babel.messages.pofile import read_po, write_po

from kiosk.catalog.loader import Catalog
from kiosk.catalog.model import MaterialForm, MaterialSource
from kiosk.form_input import YES_NO

_STAMP = dt.datetime(2026, 12, 7, tzinfo=dt.UTC)  # fixed: re-extracting changes no header


def catalog_words(catalog: Catalog) -> dict[str, list[str]]:
    """Each word → where it comes from ("item code/field key"), in catalog order."""
    words: dict[str, list[str]] = {}
    for value in [*(f.value for f in MaterialForm), *(s.value for s in MaterialSource), *YES_NO]:
        words.setdefault(value, []).append("vocabulary")
    for item in catalog.items:
        for field in item.form:
            for word in (field.label, *field.options, *((field.hint,) if field.hint else ())):
                words.setdefault(word, []).append(f"{item.code}/{field.key}")
    return words


def extract(catalog: Catalog, po_files: dict[str, Path]) -> dict[str, int]:
    """Add every word of ``catalog`` to each language's ``catalog.po`` (keeping translations, dropping words no
    longer used); zh_CN entries translate to themselves. Returns how many entries each file lacks a translation."""
    words = catalog_words(catalog)
    untranslated = {}
    for lang, path in po_files.items():
        old: dict[str, str] = {}
        if path.exists():
            with path.open("rb") as handle:
                old = {str(m.id): str(m.string) for m in read_po(handle, locale=lang) if m.id}
        po = PoCatalog(locale=lang, project="tongban-kiosk", version="0.1.0", domain="catalog", fuzzy=False,
                       creation_date=_STAMP, revision_date=_STAMP,
                       header_comment=f"# Tongban service catalog words ({lang}): form labels, choices, materials "
                                      "vocabulary.\n# Message ids are the catalog's Chinese; written by "
                                      "'kiosk i18n extract'.")
        for word, where in words.items():
            string = word if lang == "zh_CN" else old.get(word, "")
            po.add(word, string, auto_comments=[", ".join(where[:3]) + (" …" if len(where) > 3 else "")])
        with path.open("wb") as handle:
            write_po(handle, po, width=0, omit_header=False, sort_output=False)
        untranslated[lang] = sum(1 for word in words if not (word if lang == "zh_CN" else old.get(word)))
    return untranslated
