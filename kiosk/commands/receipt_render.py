"""``kiosk receipt render FILE.bin --out FILE.png``: replay captured ESC/POS bytes through the emulator's parser."""

from __future__ import annotations

import argparse
from pathlib import Path


def register(cli) -> None:
    p = cli.command("receipt", "render", help="render captured ESC/POS bytes to PNG (one picture per cut)")
    p.add_argument("file", help="ESC/POS byte stream, e.g. from --printer file:///path/out.bin")
    p.add_argument("--out", required=True, help="PNG path; further receipts get -2, -3 … suffixes")
    p.add_argument("--paper", default="58", choices=["58", "80"])
    p.set_defaults(func=_render)


def _render(args: argparse.Namespace) -> int:
    from drivers.sim.printer import printouts_from_bytes, render

    dots = 384 if args.paper == "58" else 576
    printouts, errors = printouts_from_bytes(Path(args.file).read_bytes(), dots)
    for error in errors:
        print(f"warning: {error}")
    if not printouts:
        print("nothing printable in the stream")
        return 1
    out = Path(args.out)
    for index, printout in enumerate(printouts, 1):
        path = out if index == 1 else out.with_name(f"{out.stem}-{index}{out.suffix}")
        render(printout, dots).save(path)
        print(f"{path}: {len(printout.lines)} lines, QR {printout.qr_payloads}")
    return 0
