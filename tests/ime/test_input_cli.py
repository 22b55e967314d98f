"""``kiosk input pinyin`` and ``kiosk input handwriting`` as support staff run them."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

STROKES = Path(__file__).with_name("strokes.json")


def _kiosk(*args: str, stdin: str | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "kiosk", "input", *args], input=stdin, capture_output=True,
                          text=True, timeout=120, check=False)  # fmt: skip


def test_pinyin_json(tmp_path: Path) -> None:
    done = _kiosk("pinyin", "bei jing", "--json", "--data-dir", str(tmp_path))
    assert done.returncode == 0, done.stderr
    out = json.loads(done.stdout)
    assert out["candidates"][0] == "北京" and out["schema"] == "luna_pinyin_simp" and out["has_more"]
    assert (tmp_path / "cache" / "rime" / "build").is_dir()  # Rime deployed into the data folder's cache
    page2 = json.loads(_kiosk("pinyin", "zhongguo", "--json", "--page", "1", "--page-size", "5",
                              "--data-dir", str(tmp_path)).stdout)  # fmt: skip
    page1 = json.loads(_kiosk("pinyin", "zhongguo", "--json", "--page-size", "5", "--data-dir", str(tmp_path)).stdout)
    assert page1["candidates"][0] == "中国" and not set(page1["candidates"]) & set(page2["candidates"])


def test_pinyin_refuses_what_is_not_letters(tmp_path: Path) -> None:
    done = _kiosk("pinyin", "bei1", "--data-dir", str(tmp_path))
    assert done.returncode == 2 and "letters a-z" in done.stderr


def test_handwriting_json(tmp_path: Path) -> None:
    strokes = json.loads(STROKES.read_text(encoding="utf-8"))["中"]
    path = tmp_path / "zhong.json"
    path.write_text(json.dumps(strokes), encoding="utf-8")
    done = _kiosk("handwriting", str(path), "--json")
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["candidates"][0]["text"] == "中"
    assert _kiosk("handwriting", "-", "--limit", "3", stdin=json.dumps(strokes)).stdout.split()[1] == "中"


@pytest.mark.parametrize("content", ["[[[1]]]", "not json", "[[[2000, 1]]]"])
def test_handwriting_refuses_bad_strokes(tmp_path: Path, content: str) -> None:
    path = tmp_path / "bad.json"
    path.write_text(content, encoding="utf-8")
    done = _kiosk("handwriting", str(path))
    assert done.returncode == 2 and str(path) in done.stderr and done.stdout == ""
