"""``kiosk input pinyin TEXT`` and ``kiosk input handwriting STROKES.json``: the ranked candidates the
touchscreen keyboard would offer, for support staff and tests (docs/input.md)."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path


def register(cli) -> None:
    p = cli.command("input", "pinyin", help="print the pinyin engine's candidates for letters (e.g. beijing)")
    p.add_argument("text", metavar="TEXT", help="pinyin letters a-z; spaces are ignored")
    p.add_argument("--page", type=int, default=0, help="page number, from 0 (default 0)")
    p.add_argument("--page-size", type=int, default=10, help="candidates per page (default 10)")
    p.add_argument("--data-dir", type=Path, help="the kiosk's data folder, for the engine's cache")
    p.add_argument("--json", action="store_true", help="print JSON")
    p.set_defaults(func=_pinyin)

    p = cli.command("input", "handwriting", help="recognise strokes drawn on a 0-1000 canvas (JSON file, - for stdin)")
    p.add_argument("strokes", metavar="STROKES.json")
    p.add_argument("--limit", type=int, default=10, help="how many candidates (default 10)")
    p.add_argument("--json", action="store_true", help="print JSON")
    p.set_defaults(func=_handwriting)


def _pinyin(args: argparse.Namespace) -> int:
    from kiosk.ime import ImeUnavailable
    from kiosk.ime.pinyin import SCHEMA, RimeEngine, cache_dir
    from kiosk.launch import default_data_dir

    letters = "".join(args.text.split()).lower()
    if not letters or not letters.isascii() or not letters.isalpha():
        print(f"kiosk input pinyin: TEXT must be letters a-z, not {args.text!r}", file=sys.stderr)
        return 2
    if args.page < 0 or not 1 <= args.page_size <= 100:
        print("kiosk input pinyin: --page must be ≥ 0 and --page-size 1-100", file=sys.stderr)
        return 2
    try:
        engine = RimeEngine.shared(cache_dir(args.data_dir or default_data_dir()))
        composer = engine.composer()
        composer.type(letters)
        page = composer.page(args.page, args.page_size)
        preedit = composer.preedit
        composer.close()
        version = engine.wait().version
    except ImeUnavailable as exc:
        print(f"kiosk input pinyin: {exc}", file=sys.stderr)
        return 1
    if args.json:
        print(json.dumps({"input": letters, "engine": f"librime {version}", "schema": SCHEMA, "preedit": preedit,
                          "page": page.number, "has_more": page.has_more, "candidates": list(page.candidates)},
                         ensure_ascii=False))  # fmt: skip
    else:
        first = page.number * args.page_size
        for offset, text in enumerate(page.candidates):
            print(f"{first + offset + 1:>3}  {text}")
        if page.has_more:
            print(f"     … more on page {page.number + 1}")
    return 0


def _handwriting(args: argparse.Namespace) -> int:
    from kiosk.ime import ImeUnavailable
    from kiosk.ime.handwriting import StrokesError, load_strokes, recognizer

    try:
        text = sys.stdin.read() if args.strokes == "-" else Path(args.strokes).read_text(encoding="utf-8")
        strokes = load_strokes(text)
    except (OSError, UnicodeDecodeError, StrokesError) as exc:
        print(f"kiosk input handwriting: {args.strokes}: {exc}", file=sys.stderr)
        return 2
    try:
        guesses = recognizer().recognize(strokes, max(1, min(args.limit, 100)))
    except ImeUnavailable as exc:
        print(f"kiosk input handwriting: {exc}", file=sys.stderr)
        return 1
    if args.json:
        print(json.dumps({"strokes": len(strokes), "engine": "zinnia", "model": "tegaki-zinnia-simplified-chinese",
                          "candidates": [{"text": g.text, "score": g.score} for g in guesses]},
                         ensure_ascii=False))  # fmt: skip
    else:
        for rank, guess in enumerate(guesses, 1):
            print(f"{rank:>3}  {guess.text}  {guess.score:+.3f}")
    return 0
