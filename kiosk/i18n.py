"""UI text through gettext catalogs: ``assets/locale/<lang>/LC_MESSAGES/tongban.po``, zh_CN first, en second.

Message ids are English source strings. ``make install`` compiles .po to .mo (``kiosk i18n compile``);
a missing or stale .mo is compiled in memory so a fresh checkout still shows Chinese.
"""

from __future__ import annotations

import gettext
import io
import logging
from collections.abc import Callable
from functools import cache
from pathlib import Path

from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po

from kiosk.paths import assets_dir

DOMAIN = "tongban"
LANGUAGES = ("zh_CN", "en")

log = logging.getLogger(__name__)


def locale_dir() -> Path:
    return assets_dir() / "locale"


def _po_path(lang: str) -> Path:
    return locale_dir() / lang / "LC_MESSAGES" / f"{DOMAIN}.po"


def compile_catalogs() -> list[Path]:
    """Write a .mo beside each .po; returns the files written."""
    written = []
    for lang in LANGUAGES:
        po = _po_path(lang)
        with po.open("rb") as handle:
            catalog = read_po(handle, locale=lang)
        mo = po.with_suffix(".mo")
        with mo.open("wb") as handle:
            write_mo(handle, catalog)
        written.append(mo)
    return written


@cache
def translations(lang: str) -> gettext.NullTranslations:
    if lang not in LANGUAGES:
        raise ValueError(f"unsupported language {lang!r}; choose one of {', '.join(LANGUAGES)}")
    po = _po_path(lang)
    mo = po.with_suffix(".mo")
    if mo.exists() and mo.stat().st_mtime >= po.stat().st_mtime:
        with mo.open("rb") as handle:
            return gettext.GNUTranslations(handle)
    log.info("compiling the %s catalog in memory (run 'kiosk i18n compile' to avoid this)", lang)
    with po.open("rb") as handle:
        catalog = read_po(handle, locale=lang)
    buffer = io.BytesIO()
    write_mo(buffer, catalog)
    buffer.seek(0)
    return gettext.GNUTranslations(buffer)


def translator(lang: str) -> Callable[[str], str]:
    return translations(lang).gettext


def catalog_messages(lang: str) -> dict[str, str]:
    """msgid → msgstr for every entry of a catalog (for completeness checks)."""
    with _po_path(lang).open("rb") as handle:
        catalog = read_po(handle, locale=lang)
    return {str(m.id): str(m.string) for m in catalog if m.id}


def N_(message: str) -> str:
    """Marks a message id in a table; the screen translates it when it shows it."""
    return message
