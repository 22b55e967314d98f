"""The core gives the screens message ids (English, through gettext: kiosk.i18n ``N_`` and ``Text``), never Chinese
sentences: a resident in English mode must not meet a Chinese error. Chinese string literals in kiosk/ are allowed
only where they are data, listed here with the reason; a new one anywhere else fails this test (docstrings and
comments are not looked at)."""

from __future__ import annotations

import ast
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
CJK = re.compile(r"[\u3000-\u303f\u3400-\u4dbf\u4e00-\u9fff\uff00-\uffef]")

# Whole modules whose Chinese is data, not messages.
DATA_MODULES = {
    "kiosk/applications/receipt.py": "the printed receipt (Chinese by rule, DOMAIN.md §3)",
    "kiosk/applications/materials.py": "material statuses and names as printed on the receipt and sent to the platform",
    "kiosk/recent_receipts.py": "the reprint mark printed on a receipt",
    "kiosk/staff/maintenance.py": "the printer self-test page",
    "kiosk/commands/device_printer.py": "the printer test page",
    "kiosk/catalog/model.py": "the catalog's vocabulary (enum values of the data files), field-help for operators",
    "kiosk/catalog/exchange.py": "spreadsheet words the catalog import accepts",
    "kiosk/catalog/loader.py": "the separator of material names in the catalog files",
    "kiosk/catalog/pinyin.py": "CJK code point ranges",
    "kiosk/catalog/samples.py": "the drawn 样表 (sample forms) and line-breaking punctuation",
    "kiosk/commands/catalog.py": "catalog terms in the operators' catalog tool",
    "kiosk/config/schema.py": "packaged defaults (the sample county, the 好差评 reasons the platform defines)",
    "kiosk/form_input.py": "the yes/no values a boolean form field stores",
    "kiosk/voice.py": "how digits and punctuation are read aloud",
    "kiosk/applications/authorisation.py": "the 授权委托书 a principal signs (a Chinese legal document)",
    "kiosk/evaluation_codes.py": "the national 好差评 level and indicator names the platform is sent",
}
# Single literals that are proper names (offices, documents), the product's name, or receipt lines.
ALLOWED = {
    "kiosk/applications/routing.py": {
        "政务服务中心", "、", "居民身份证", "港澳台居民居住证", "外国人永久居留身份证",
        "行政区划代码", "所在县（市、区）",
    },
    "kiosk/cli.py": {"Tongban 通办 self-service kiosk"},
    "kiosk/commands/device_sscard.py": {"read a social-security card (社保卡) over PC/SC"},
    # the distance units a site file may write (read, never shown: the phrases are in the catalogs)
    "kiosk/opening.py": {r"^\s*(?:约|about\s+|~)?\s*(\d+(?:\.\d+)?)\s*(?:(?P<km>km|公里|千米)|m|米)\s*$"},
}
# The receipt's 后续事项 and 咨询电话, printed in Chinese; the 授权委托书's summary (names, ID numbers, item).
RECEIPT_PARTS = {
    "kiosk/applications/session.py": {"_next_steps", "_consult_phone"},
    "kiosk/journey.py": {"authorisation_text"},
}


def _docstrings(tree: ast.AST) -> set[int]:
    found = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Module | ast.ClassDef | ast.FunctionDef | ast.AsyncFunctionDef) and node.body:
            first = node.body[0]
            if isinstance(first, ast.Expr) and isinstance(first.value, ast.Constant):
                found.add(id(first.value))
    return found


def chinese_literals(path: Path) -> list[tuple[int, str, str]]:
    """(line, literal, enclosing function) of every Chinese string literal outside docstrings."""
    tree = ast.parse(path.read_text("utf-8"))
    skip = _docstrings(tree)
    found = []
    for function in [tree, *[n for n in ast.walk(tree) if isinstance(n, ast.FunctionDef)]]:
        name = getattr(function, "name", "")
        for node in ast.walk(function):
            if (isinstance(node, ast.Constant) and isinstance(node.value, str) and id(node) not in skip
                    and CJK.search(node.value)):  # fmt: skip
                found.append((node.lineno, node.value, name))
    innermost: dict[tuple[int, str], str] = {}
    for line, value, name in found:  # a nested walk sees a literal again: keep its function's name
        if name or (line, value) not in innermost:
            innermost[(line, value)] = name
    return sorted((line, value, name) for (line, value), name in innermost.items())


def test_the_core_has_no_chinese_messages_outside_its_data() -> None:
    offending = []
    for path in sorted((ROOT / "kiosk").rglob("*.py")):
        rel = path.relative_to(ROOT).as_posix()
        if rel in DATA_MODULES or rel.startswith("kiosk/console/"):  # the console: its own catalog (docs/console.md)
            continue
        for line, value, function in chinese_literals(path):
            if value in ALLOWED.get(rel, set()) or function in RECEIPT_PARTS.get(rel, set()):
                continue
            offending.append(f"{rel}:{line}: {value!r}")
    assert offending == [], "Chinese text in the core: give a message id (kiosk.i18n N_/Text) instead:\n" + "\n".join(
        offending
    )


def test_the_allowances_are_still_needed() -> None:
    """An allowance nobody uses any more goes, so the list keeps saying what is really there."""
    for rel in DATA_MODULES:
        assert chinese_literals(ROOT / rel), rel
    for rel, allowed in ALLOWED.items():
        used = {value for _line, value, _function in chinese_literals(ROOT / rel)}
        assert allowed <= used, (rel, allowed - used)


def test_the_checker_finds_a_chinese_message(tmp_path: Path) -> None:
    sample = tmp_path / "sample.py"
    source = '"""模块说明。"""\n\n\ndef f():\n    # 注释\n    raise ValueError("请先完成身份核验。")\n'
    sample.write_text(source, "utf-8")
    assert chinese_literals(sample) == [(6, "请先完成身份核验。", "f")]
