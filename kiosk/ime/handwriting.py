"""Handwriting on zinnia (libzinnia0) with Debian's tegaki-zinnia-simplified-chinese model, through ctypes.

Strokes format (the drawing pad, ``kiosk input handwriting`` and tests share it): a JSON list of strokes in the
order drawn, each a list of ``[x, y]`` points in the order drawn, on a 0–1000 square canvas with the origin at
the top left (y grows downwards, as on paper). Example, 十: ``[[[100,500],[900,500]], [[500,100],[500,900]]]``.
"""

from __future__ import annotations

import ctypes
import json
import threading
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from kiosk.ime import ImeUnavailable, load_library

MODEL = Path("/usr/share/tegaki/models/zinnia/handwriting-zh_CN.model")
CANVAS = 1000
MAX_STROKES = 64  # the most complex hanzi have about 30; more is a scribble, not a character
MAX_POINTS = 2000  # per stroke

Point = tuple[int, int]
Stroke = tuple[Point, ...]


class StrokesError(ValueError):
    """Strokes that are not in the documented format."""


def parse_strokes(data: object) -> tuple[Stroke, ...]:
    """Validate decoded JSON as strokes; numbers are rounded to whole canvas units. Raises StrokesError."""
    if not isinstance(data, list):
        raise StrokesError("strokes must be a list of strokes")
    if len(data) > MAX_STROKES:
        raise StrokesError(f"at most {MAX_STROKES} strokes")
    strokes: list[Stroke] = []
    for s, stroke in enumerate(data):
        if not isinstance(stroke, list) or not stroke:
            raise StrokesError(f"stroke {s} must be a non-empty list of [x, y] points")
        if len(stroke) > MAX_POINTS:
            raise StrokesError(f"stroke {s} has more than {MAX_POINTS} points")
        points: list[Point] = []
        for p, point in enumerate(stroke):
            if not isinstance(point, list) or len(point) != 2:
                raise StrokesError(f"stroke {s} point {p} must be [x, y]")
            coords: list[int] = []
            for value in point:
                if isinstance(value, bool) or not isinstance(value, int | float) or not 0 <= value <= CANVAS:
                    raise StrokesError(f"stroke {s} point {p}: coordinates are numbers from 0 to {CANVAS}")
                coords.append(round(value))
            points.append((coords[0], coords[1]))
        strokes.append(tuple(points))
    return tuple(strokes)


def load_strokes(text: str) -> tuple[Stroke, ...]:
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise StrokesError(f"not JSON: {exc.msg} at line {exc.lineno}") from None
    return parse_strokes(data)


@dataclass(frozen=True)
class Guess:
    text: str
    score: float


class _Zinnia:
    def __init__(self) -> None:
        lib = load_library("libzinnia.so.0", "libzinnia0")
        vp, sz = ctypes.c_void_p, ctypes.c_size_t
        for name, restype, argtypes in (
            ("zinnia_recognizer_new", vp, ()),
            ("zinnia_recognizer_open", ctypes.c_int, (vp, ctypes.c_char_p)),
            ("zinnia_recognizer_strerror", ctypes.c_char_p, (vp,)),
            ("zinnia_recognizer_destroy", None, (vp,)),
            ("zinnia_recognizer_classify", vp, (vp, vp, sz)),
            ("zinnia_character_new", vp, ()),
            ("zinnia_character_destroy", None, (vp,)),
            ("zinnia_character_set_width", None, (vp, sz)),
            ("zinnia_character_set_height", None, (vp, sz)),
            ("zinnia_character_add", ctypes.c_int, (vp, sz, ctypes.c_int, ctypes.c_int)),
            ("zinnia_result_size", sz, (vp,)),
            ("zinnia_result_value", ctypes.c_char_p, (vp, sz)),
            ("zinnia_result_score", ctypes.c_float, (vp, sz)),
            ("zinnia_result_destroy", None, (vp,)),
        ):
            function = getattr(lib, name)
            function.restype, function.argtypes = restype, argtypes
        self.lib = lib


class HandwritingRecognizer:
    """The zinnia recogniser with the simplified-Chinese model, opened once (about 50 ms, memory-mapped)."""

    def __init__(self, model: Path = MODEL) -> None:
        if not model.is_file():
            raise ImeUnavailable(f"no handwriting model at {model} (Debian package tegaki-zinnia-simplified-chinese)")
        self._z = _Zinnia().lib
        self._lock = threading.Lock()
        self._recognizer = self._z.zinnia_recognizer_new()
        if not self._z.zinnia_recognizer_open(self._recognizer, str(model).encode()):
            error = self._z.zinnia_recognizer_strerror(self._recognizer) or b"?"
            self._z.zinnia_recognizer_destroy(self._recognizer)
            raise ImeUnavailable(f"zinnia could not open {model}: {error.decode(errors='replace')}")

    def recognize(self, strokes: Sequence[Sequence[Point]], limit: int = 10) -> list[Guess]:
        """Ranked characters for the strokes (best first); none for no strokes."""
        if not strokes:
            return []
        z = self._z
        with self._lock:
            character = z.zinnia_character_new()
            try:
                z.zinnia_character_set_width(character, CANVAS)
                z.zinnia_character_set_height(character, CANVAS)
                for index, stroke in enumerate(strokes):
                    for x, y in stroke:
                        z.zinnia_character_add(character, index, int(x), int(y))
                result = z.zinnia_recognizer_classify(self._recognizer, character, limit)
                if not result:
                    return []
                try:
                    return [Guess(z.zinnia_result_value(result, i).decode(), round(z.zinnia_result_score(result, i), 3))
                            for i in range(z.zinnia_result_size(result))]  # fmt: skip
                finally:
                    z.zinnia_result_destroy(result)
            finally:
                z.zinnia_character_destroy(character)


_shared: HandwritingRecognizer | None = None
_shared_lock = threading.Lock()


def recognizer() -> HandwritingRecognizer:
    """The process's recogniser (the model is read-only and shared)."""
    global _shared
    with _shared_lock:
        if _shared is None:
            _shared = HandwritingRecognizer()
        return _shared
