"""Receipt size and render figures: native text + native QR versus the same receipt as one raster image, and the
emulator's parse-and-render time.

    PYTHONPATH=. python bench/receipt.py [--json PATH]
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from drivers.printer import PAPER_58, PAPER_80
from drivers.printer.escpos_encode import CHINESE_OFF, INIT, cut, encode_bytes, raster
from drivers.printer.preview import MARGIN, render_png
from drivers.printer.sample import standard_receipt
from drivers.sim.printer import printouts_from_bytes, render


def figures() -> list[dict]:
    out: list[dict] = []
    receipt = standard_receipt()
    for paper in (PAPER_58, PAPER_80):
        native = encode_bytes(receipt, paper)
        picture = render_png(receipt, paper)
        picture = picture.crop((MARGIN, 0, MARGIN + paper.dots, picture.height)).point(lambda v: 255 if v > 160 else 0)
        as_raster = INIT + CHINESE_OFF + raster(picture.convert("1"), paper) + cut()
        out += [
            {"name": f"receipt_native_bytes_{paper.name}", "value": len(native), "unit": "bytes", "target": "<= 2048"},
            {"name": f"receipt_raster_bytes_{paper.name}", "value": len(as_raster), "unit": "bytes", "target": ""},
            {"name": f"receipt_raster_over_native_{paper.name}", "value": round(len(as_raster) / len(native), 1),
             "unit": "x", "target": ">= 10"},
        ]
        runs = []
        for _ in range(5):
            started = time.perf_counter()
            printouts, _ = printouts_from_bytes(native, paper.dots)
            render(printouts[0], paper.dots)
            runs.append(time.perf_counter() - started)
        out.append({"name": f"emulator_parse_render_first_ms_{paper.name}", "value": round(runs[0] * 1000, 1),
                    "unit": "ms", "target": ""})  # glyph cache cold for this paper's characters
        out.append({"name": f"emulator_parse_render_ms_{paper.name}", "value": round(statistics.median(runs) * 1000, 1),
                    "unit": "ms", "target": ""})
    return out


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--json", help="write the figures to this file")
    args = parser.parse_args()
    results = figures()
    for figure in results:
        print(f"{figure['name']:40s} {figure['value']:>10} {figure['unit']:6s} {figure['target']}")
    if args.json:
        Path(args.json).write_text(json.dumps(results, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
