"""UI text through gettext catalogs: ``assets/locale/<lang>/LC_MESSAGES/tongban.po``, zh_CN first, en second.

Message ids are English source strings. The service catalog's own words a resident acts on (form field labels and
choices, the materials' 原件/复印件 and source vocabulary) are a second domain, ``catalog.po``, whose message ids are
the catalog's Chinese (``kiosk.catalog.words`` extracts them); proper names (items, offices, materials) stay Chinese.
``make install`` compiles .po to .mo (``kiosk i18n compile``); a missing or stale .mo is compiled in memory so a
fresh checkout still shows Chinese.
"""

from __future__ import annotations

import gettext
import io
import logging
from collections.abc import Callable
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Union

from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po

from kiosk.paths import assets_dir

DOMAIN = "tongban"
CATALOG_DOMAIN = "catalog"  # the service catalog's words, msgid in Chinese (see kiosk.catalog.words)
LANGUAGES = ("zh_CN", "en")

log = logging.getLogger(__name__)


def locale_dir() -> Path:
    return assets_dir() / "locale"


def _po_path(lang: str, domain: str = DOMAIN) -> Path:
    return locale_dir() / lang / "LC_MESSAGES" / f"{domain}.po"


def compile_catalogs() -> list[Path]:
    """Write a .mo beside each .po of both domains; returns the files written."""
    written = []
    for lang, domain in ((lang, domain) for domain in (DOMAIN, CATALOG_DOMAIN) for lang in LANGUAGES):
        po = _po_path(lang, domain)
        with po.open("rb") as handle:
            catalog = read_po(handle, locale=lang)
        mo = po.with_suffix(".mo")
        with mo.open("wb") as handle:
            write_mo(handle, catalog)
        written.append(mo)
    return written


@cache
def translations(lang: str, domain: str = DOMAIN) -> gettext.NullTranslations:
    if lang not in LANGUAGES:
        raise ValueError(f"unsupported language {lang!r}; choose one of {', '.join(LANGUAGES)}")
    po = _po_path(lang, domain)
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


def catalog_words_translator(lang: str) -> Callable[[str], str]:
    """The service catalog's words (a form label, a choice, 原件) in ``lang``; a word without an entry stays as the
    catalog has it (Chinese)."""
    return translations(lang, CATALOG_DOMAIN).gettext


def catalog_messages(lang: str, domain: str = DOMAIN) -> dict[str, str]:
    """msgid → msgstr for every entry of a catalog (for completeness checks)."""
    with _po_path(lang, domain).open("rb") as handle:
        catalog = read_po(handle, locale=lang)
    return {str(m.id): str(m.string) for m in catalog if m.id}


def N_(message: str) -> str:
    """Marks a message id in a table; the screen translates it when it shows it."""
    return message


LIST_SEPARATOR = N_(", ")  # between the names of a list argument (、 in Chinese)

Arg = Union[str, "Text", tuple[str, ...]]


@dataclass(frozen=True)
class Text:
    """A message for the resident from the core: a message id with named arguments, translated where it is shown
    (``Kiosk.t``, ``render``). Arguments are proper names kept as they are (an office, a place, a material),
    nested ``Text``, or a tuple of names joined with the language's list separator."""

    msgid: str
    args: tuple[tuple[str, Arg], ...] = ()

    @classmethod
    def of(cls, msgid: str, **args: Arg) -> Text:
        return cls(msgid, tuple(args.items()))

    def render(self, t: Callable[[str], str]) -> str:
        text = t(self.msgid)
        return text.format(**{key: _render_arg(value, t) for key, value in self.args}) if self.args else text

    def __str__(self) -> str:  # logs and exceptions: the message id, never translated
        return self.render(lambda message: message)


@dataclass(frozen=True)
class Lines:
    """Messages shown one per line (what stops an application: the route, the missing materials, the fields)."""

    lines: tuple[Text, ...]

    def render(self, t: Callable[[str], str]) -> str:
        return "\n".join(line.render(t) for line in self.lines)

    def __str__(self) -> str:
        return self.render(lambda message: message)

    def __bool__(self) -> bool:
        return bool(self.lines)


Message = Text | Lines


def _render_arg(value: Arg, t: Callable[[str], str]) -> str:
    if isinstance(value, Text):
        return value.render(t)
    if isinstance(value, tuple):
        return t(LIST_SEPARATOR).join(value)
    return value


def translate(message: str | Message, lang: str) -> str:
    """A message id or a core ``Text`` in ``lang`` (the CLI's output; the screens use ``Kiosk.t``)."""
    return render(message, translator(lang))


def render(message: str | Message, t: Callable[[str], str]) -> str:
    if isinstance(message, str):
        return t(message) if message else ""
    return message.render(t)

