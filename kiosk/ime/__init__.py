"""Chinese input for the kiosk's keyboard, on the field's own engines (no Kivy here; widgets live in screens/).

- ``pinyin``: librime (Debian's librime1 with the luna_pinyin_simp schema) through its C API: phrase
  candidates, paging, partial picks ("zhongguoren": 中国 then 人). docs/input.md says why Rime.
- ``handwriting``: zinnia (libzinnia0) with Debian's tegaki-zinnia-simplified-chinese model, and the strokes
  format (a list of strokes, each a list of [x, y] points on a 0–1000 canvas).
"""

from __future__ import annotations

import ctypes


class ImeUnavailable(RuntimeError):
    """An input engine's library or data is missing or failed to start."""


def load_library(soname: str, package: str) -> ctypes.CDLL:
    """Open an input engine's shared library; a missing one names the Debian package that brings it."""
    try:
        return ctypes.CDLL(soname)
    except OSError as exc:
        raise ImeUnavailable(f"{soname} is not installed (Debian package {package}): {exc}") from exc
