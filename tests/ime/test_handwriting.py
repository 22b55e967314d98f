"""Handwriting on the real zinnia recogniser; the strokes format and its parser."""

from __future__ import annotations

import json

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from kiosk.ime.handwriting import CANVAS, StrokesError, load_strokes, parse_strokes, recognizer


@pytest.mark.parametrize("character", ["十", "口", "人", "大", "中", "王", "日", "上", "工"])
def test_drawn_characters_are_recognised(drawn, character: str) -> None:
    guesses = recognizer().recognize(parse_strokes(drawn[character]), 10)
    assert character in [g.text for g in guesses[:3]]
    assert [g.score for g in guesses] == sorted((g.score for g in guesses), reverse=True)


def test_no_strokes_no_candidates() -> None:
    assert recognizer().recognize(()) == []


def test_documented_example() -> None:
    strokes = load_strokes("[[[100,500],[900,500]], [[500,100],[500,900]]]")
    assert strokes == (((100, 500), (900, 500)), ((500, 100), (500, 900)))
    assert recognizer().recognize(strokes)[0].text == "十"


@pytest.mark.parametrize(("text", "message"), [
    ("{", "not JSON"), ('{"a": 1}', "list of strokes"), ("[[]]", "non-empty"), ("[[[1]]]", "[x, y]"),
    ("[[[1, 2, 3]]]", "[x, y]"), ("[[[-1, 5]]]", "0 to 1000"), ("[[[5, 1001]]]", "0 to 1000"),
    ('[[["1", 5]]]', "0 to 1000"), ("[[[true, 5]]]", "0 to 1000"), ("[[[NaN, 5]]]", "0 to 1000"),
    ("[" + ",".join(["[[1,1]]"] * 65) + "]", "at most 64"),
])  # fmt: skip
def test_malformed_strokes_are_refused_clearly(text: str, message: str) -> None:
    with pytest.raises(StrokesError, match=message.replace("[", r"\[").replace("]", r"\]")):
        load_strokes(text)


coordinate = st.one_of(st.integers(0, CANVAS), st.floats(0, CANVAS, allow_nan=False))
valid = st.lists(st.lists(st.lists(coordinate, min_size=2, max_size=2), min_size=1, max_size=20),
                 max_size=10)  # fmt: skip


@settings(max_examples=200, deadline=None)
@given(valid)
def test_valid_strokes_round_trip(strokes: list) -> None:
    parsed = parse_strokes(json.loads(json.dumps(strokes)))
    assert len(parsed) == len(strokes)
    for stroke, original in zip(parsed, strokes, strict=True):
        assert [list(p) for p in stroke] == [[round(x), round(y)] for x, y in original]
        assert all(0 <= v <= CANVAS for point in stroke for v in point)


@settings(max_examples=300, deadline=None)
@given(st.recursive(st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=3),
                    lambda children: st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=2), children,
                                                                                      max_size=2)))  # fmt: skip
def test_any_json_is_parsed_or_refused_with_strokes_error(data: object) -> None:
    try:
        parsed = parse_strokes(data)
    except StrokesError:
        return
    assert isinstance(parsed, tuple)
    assert recognizer().recognize(parsed, 3) is not None
