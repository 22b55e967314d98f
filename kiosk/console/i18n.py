"""The console's text: gettext catalogs ``assets/locale/<lang>/LC_MESSAGES/console.po`` (zh_CN first, en second).

A domain of its own, so the kiosk's catalog carries nothing of the console. Read with Babel when first needed
(the console is a server: the few milliseconds happen once).
"""

from __future__ import annotations

import gettext
import io
from functools import cache

from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po

from kiosk.paths import assets_dir

DOMAIN = "console"
LANGUAGES = ("zh_CN", "en")


def po_path(lang: str) -> str:
    return str(assets_dir() / "locale" / lang / "LC_MESSAGES" / f"{DOMAIN}.po")


@cache
def translations(lang: str) -> gettext.NullTranslations:
    if lang not in LANGUAGES:
        lang = LANGUAGES[0]
    with open(po_path(lang), "rb") as handle:
        catalog = read_po(handle, locale=lang)
    buffer = io.BytesIO()
    write_mo(buffer, catalog)
    buffer.seek(0)
    return gettext.GNUTranslations(buffer)


def messages(lang: str) -> dict[str, str]:
    with open(po_path(lang), "rb") as handle:
        return {str(m.id): str(m.string) for m in read_po(handle, locale=lang) if m.id}
