"""The real engines: librime with Debian's luna_pinyin_simp schema and zinnia with Debian's handwriting model."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

STROKES = Path(__file__).with_name("strokes.json")


@pytest.fixture(scope="session")
def rime(tmp_path_factory):
    from kiosk.ime.pinyin import RimeEngine

    engine = RimeEngine.shared(tmp_path_factory.mktemp("rime-cache"))
    engine.wait()
    return engine


@pytest.fixture(scope="session")
def drawn() -> dict[str, list]:
    """Characters drawn as point lists on the 0–1000 canvas, in their stroke order."""
    return json.loads(STROKES.read_text(encoding="utf-8"))
