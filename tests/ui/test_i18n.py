"""Every message id the UI uses (in .py through t(), say(), N_() and prompt=, in .kv through app.t()) exists in
both catalogs, and every zh_CN entry is translated."""

from __future__ import annotations

import ast
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
_KV_CALL = re.compile(r'app\.t\(\s*"((?:[^"\\]|\\.)*)"')
_CALLS = {"t", "say", "N_", "plain_reason"}


def _python_ids(path: Path) -> set[str]:
    found = set()
    for node in ast.walk(ast.parse(path.read_text("utf-8"))):
        if not isinstance(node, ast.Call):
            continue
        name = node.func.attr if isinstance(node.func, ast.Attribute) else getattr(node.func, "id", "")
        if name in _CALLS and node.args and isinstance(node.args[0], ast.Constant) and isinstance(
                node.args[0].value, str):
            found.add(node.args[0].value)
        for keyword in node.keywords:
            if keyword.arg == "prompt" and isinstance(keyword.value, ast.Constant):
                found.add(keyword.value.value)
        if name == "get" and len(node.args) == 2 and isinstance(node.args[1], ast.Constant) and isinstance(
                node.args[1].value, str) and isinstance(node.func, ast.Attribute) and getattr(
                node.func.value, "id", "").isupper():
            found.add(node.args[1].value)  # TABLE.get(key, "fallback message")
    return found


def used_message_ids() -> set[str]:
    ids: set[str] = set()
    kiosk = [p for p in ROOT.glob("kiosk/**/*.py") if "console" not in p.parts]  # the console has its own catalog
    for path in [*ROOT.glob("screens/*.py"), *kiosk]:
        ids |= _python_ids(path)
    for path in ROOT.glob("screens/*.kv"):
        ids |= {bytes(m, "utf-8").decode("unicode_escape") if "\\" in m else m
                for m in _KV_CALL.findall(path.read_text("utf-8"))}
    return {i for i in ids if i}


def test_every_message_id_is_in_both_catalogs():
    from kiosk.i18n import catalog_messages

    used = used_message_ids()
    assert len(used) > 150
    for lang in ("zh_CN", "en"):
        catalog = catalog_messages(lang)
        missing = sorted(used - set(catalog))
        assert missing == [], f"{lang} lacks {len(missing)}: {missing[:10]}"


def test_chinese_catalog_is_complete_and_keeps_placeholders():
    from kiosk.i18n import catalog_messages

    zh = catalog_messages("zh_CN")
    untranslated = [m for m, s in zh.items() if not s]
    assert untranslated == []
    for msgid, msgstr in zh.items():
        assert set(re.findall(r"\{(\w+)", msgid)) == set(re.findall(r"\{(\w+)", msgstr)), msgid


def test_every_catalog_word_a_resident_acts_on_has_an_english_entry():
    """Form labels, choices, yes/no and the materials' form/source vocabulary (kiosk.catalog.words): new catalog
    content cannot reach an English screen untranslated (add it with `kiosk i18n extract`, then translate)."""
    from kiosk.catalog import load_catalog
    from kiosk.catalog.words import catalog_words
    from kiosk.i18n import CATALOG_DOMAIN, catalog_messages, catalog_words_translator
    from kiosk.paths import config_dir

    words = catalog_words(load_catalog(config_dir() / "catalog"))
    assert {"联系电话", "案件类型", "中国工商银行", "原件", "申请人自备", "是"} <= set(words)
    en, zh = catalog_messages("en", CATALOG_DOMAIN), catalog_messages("zh_CN", CATALOG_DOMAIN)
    assert sorted(w for w in words if not en.get(w)) == []
    assert sorted(w for w in words if zh.get(w) != w) == []
    assert catalog_words_translator("en")("现居住地址") == "Current home address"
    assert catalog_words_translator("zh_CN")("现居住地址") == "现居住地址"


def test_a_chosen_value_is_shown_translated_and_kept_chinese():
    from kiosk.catalog import load_catalog
    from kiosk.i18n import catalog_words_translator
    from kiosk.paths import config_dir
    from screens.form import shown_value
    from screens.progress import history_note

    spec = next(f for item in load_catalog(config_dir() / "catalog").items for f in item.form if f.key == "case_type")
    en = catalog_words_translator("en")
    assert shown_value(spec, spec.options[0], en) != spec.options[0]
    assert shown_value(spec, "张三说的", en) == "张三说的"  # typed text as typed
    assert history_note("accepted", "已受理") == "" and history_note("need_more", "请补充户口簿") == "请补充户口簿"
