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
