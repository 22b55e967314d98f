"""Chinese input figures on the real engines (docs/input.md).

Pinyin (librime, luna_pinyin_simp): the work of one keystroke as the keyboard does it (the letter into the
composition, the page of six candidates, the composition line) over realistic address and name pinyin typed
letter by letter, then the picks that commit it; Rime's first deployment into an empty cache. Handwriting
(zinnia with the tegaki simplified-Chinese model): recognition of the drawn characters in tests/ime/strokes.json,
each redrawn with a random jitter of up to ±3 % of the box, as writers differ.

    PYTHONPATH=. python bench/input.py [--json PATH] [--rounds 20] [--writings 300]
"""

from __future__ import annotations

import argparse
import json
import os
import random
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from kiosk.ime.handwriting import CANVAS, recognizer
from kiosk.ime.pinyin import RimeEngine

# What residents type where the card cannot answer: addresses, names, a comment.
TYPED = ["zhejiangsheng", "shilixian", "chengguanzhen", "renminlu", "xingfuxiaoqu", "chaoyangqu", "jianguolu",
         "dongfangjie", "wangjiacun", "zhangwei", "lixiuying", "fuwuhenhao", "banlihenkuai", "gongzuorenyuan",
         "shequfuwuzhongxin", "beijingshi"]  # fmt: skip
STROKES = Path(__file__).resolve().parent.parent / "tests" / "ime" / "strokes.json"


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(p / 100 * (len(ordered) - 1)))]


def jittered(strokes: list, rng: random.Random) -> list:
    def move(v: float, d: float) -> int:
        return int(min(CANVAS, max(0, v + d)))

    out = []
    for stroke in strokes:
        dx, dy = rng.uniform(-30, 30), rng.uniform(-30, 30)
        out.append([(move(x, dx + rng.uniform(-8, 8)), move(y, dy + rng.uniform(-8, 8))) for x, y in stroke])
    return out


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--json", type=Path, help="write the figures here")
    parser.add_argument("--rounds", type=int, default=20, help="times every word is typed")
    parser.add_argument("--writings", type=int, default=300, help="characters recognised")
    args = parser.parse_args()

    with tempfile.TemporaryDirectory(prefix="tongban-rime-") as cache:
        t0 = time.perf_counter()
        engine = RimeEngine.shared(Path(cache))
        engine.wait()
        deploy_s = time.perf_counter() - t0
        composer = engine.composer()
        keystroke, cpu, picks = [], [], []
        for _ in range(args.rounds):
            for word in TYPED:
                for letter in word:
                    t, c = time.perf_counter(), time.thread_time()
                    composer.type(letter)
                    composer.page(0, 6)
                    _ = composer.preedit
                    keystroke.append((time.perf_counter() - t) * 1000)
                    cpu.append((time.thread_time() - c) * 1000)
                for _pick in range(8):  # the first candidate until the word is committed
                    t = time.perf_counter()
                    done = composer.pick(0)
                    composer.page(0, 6)
                    picks.append((time.perf_counter() - t) * 1000)
                    if done:
                        break
                composer.clear()
        composer.close()

    t0 = time.perf_counter()
    hw = recognizer()
    model_open_s = time.perf_counter() - t0
    drawn = json.loads(STROKES.read_text(encoding="utf-8"))
    rng = random.Random(5)
    writing, right = [], 0
    names = sorted(drawn)
    for n in range(args.writings):
        character = names[n % len(names)]
        strokes = jittered(drawn[character], rng)
        t = time.perf_counter()
        guesses = hw.recognize(strokes, 18)
        writing.append((time.perf_counter() - t) * 1000)
        right += character in [g.text for g in guesses[:6]]

    figures = [
        {"name": "pinyin_keystroke_p50", "value": round(percentile(keystroke, 50), 3), "unit": "ms", "target": None},
        {"name": "pinyin_keystroke_p99", "value": round(percentile(keystroke, 99), 3), "unit": "ms", "target": 30},
        {"name": "pinyin_keystroke_max", "value": round(max(keystroke), 3), "unit": "ms", "target": None},
        {"name": "pinyin_keystroke_cpu_p99", "value": round(percentile(cpu, 99), 3), "unit": "ms", "target": None},
        {"name": "pinyin_pick_p99", "value": round(percentile(picks, 99), 3), "unit": "ms", "target": 30},
        {"name": "pinyin_first_deploy", "value": round(deploy_s, 3), "unit": "s", "target": None},
        {"name": "handwriting_p50", "value": round(percentile(writing, 50), 3), "unit": "ms", "target": None},
        {"name": "handwriting_p99", "value": round(percentile(writing, 99), 3), "unit": "ms", "target": 100},
        {"name": "handwriting_top6_rate", "value": round(right / len(writing), 3), "unit": "", "target": None},
        {"name": "handwriting_model_open", "value": round(model_open_s, 3), "unit": "s", "target": None},
        {"name": "input_bench_load_average", "value": round(os.getloadavg()[0], 2), "unit": "", "target": None},
    ]
    for f in figures:
        print(f"{f['name']:<28} {f['value']:>10} {f['unit']:<3} target {f['target']}")
    print(f"{len(keystroke)} keystrokes, {len(picks)} picks, {len(writing)} characters written; "
          f"median keystroke {statistics.median(keystroke):.2f} ms")  # fmt: skip
    if args.json:
        args.json.write_text(json.dumps(figures, indent=2), encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
