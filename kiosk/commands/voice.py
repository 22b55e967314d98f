"""``kiosk voice say TEXT --out FILE.wav``: a prompt as the kiosk speaks it (Mandarin with tones through
pypinyin and espeak-ng's cmn-latn-pinyin voice, or English), for support staff and tests. Prints what espeak-ng
was given (the tone-numbered pinyin). Exit 1 when espeak-ng is missing or fails."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any


def register(cli: Any) -> None:
    p = cli.command("voice", "say", help="speak a prompt into a WAV file as the kiosk would")
    p.add_argument("text", help="the prompt (Chinese or English)")
    p.add_argument("--out", type=Path, required=True, help="the WAV file to write")
    p.add_argument("--lang", choices=("zh_CN", "en"), default="zh_CN")
    p.add_argument("--elder", action="store_true", help="the slower elder-mode rate")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from kiosk.voice import VoiceGuide

    guide = VoiceGuide(args.out.parent)
    if not guide.available:
        print("kiosk voice: espeak-ng is not installed (Debian package espeak-ng)", file=sys.stderr)
        return 1
    print(guide.spoken(args.text, args.lang))
    if guide.synthesize(args.text, args.lang, args.elder, out=args.out) is None:
        print("kiosk voice: espeak-ng failed", file=sys.stderr)
        return 1
    return 0
