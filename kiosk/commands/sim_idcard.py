"""``kiosk sim idcard``: serve a simulated SAM ID-card reader on a pseudo-terminal until stopped."""

from __future__ import annotations

import argparse
import signal
import sys
import time
from typing import Any

HELP = (
    "commands on stdin: place ID|INDEX · remove · faults [NAME[:PARAM] …] (none clears) · status · quit"
)


def register(cli: Any) -> None:
    p = cli.command("sim", "idcard", help="serve a simulated SAM ID-card reader on a pty (prints its path first)")
    p.add_argument("--deck", help="card deck JSON (default: the packaged deck)")
    p.add_argument("--baud", type=int, default=115200, help="baud rate the replies are paced at (default 115200)")
    p.add_argument("--fault", dest="faults", nargs="+", action="extend", default=[], metavar="NAME",
                   help="active faults, NAME or NAME:PARAM (see docs/idcard.md)")  # fmt: skip
    card = p.add_mutually_exclusive_group()
    card.add_argument("--place", metavar="ID", help="deck id or index of the card on the reader at start (default 0)")
    card.add_argument("--empty", action="store_true", help="start with no card on the reader")
    p.set_defaults(func=serve)


def serve(args: argparse.Namespace) -> int:
    from drivers.sim.idcard import IdCardSimulator

    try:
        sim = IdCardSimulator(deck=args.deck, baud=args.baud, faults=args.faults)
        if not args.empty:
            sim.place(_card_ref(args.place or "0"))
    except (OSError, ValueError, KeyError) as error:
        print(f"cannot start the simulator: {error}", file=sys.stderr)
        return 1
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    sim.start()
    try:
        print(sim.port, flush=True)
        print(f"{HELP}; on the reader: {sim.placed.id if sim.placed else 'no card'}", file=sys.stderr, flush=True)
        for line in sys.stdin:
            if not _control(sim, line.split()):
                return 0
        while True:  # stdin closed: serve until a signal
            time.sleep(3600)
    except KeyboardInterrupt:
        return 0
    finally:
        sim.stop()


def _card_ref(text: str) -> int | str:
    return int(text) if text.isdigit() else text


def _control(sim: Any, words: list[str]) -> bool:
    """Apply one stdin command; False means quit."""
    if not words:
        return True
    verb, rest = words[0], words[1:]
    try:
        if verb == "quit":
            return False
        if verb == "place":
            print(f"placed {sim.place(_card_ref(rest[0] if rest else '0')).id}", file=sys.stderr, flush=True)
        elif verb == "remove":
            sim.remove()
            print("removed", file=sys.stderr, flush=True)
        elif verb == "faults":
            sim.set_faults(rest)
            print(f"faults: {' '.join(sim.faults) or 'none'}", file=sys.stderr, flush=True)
        elif verb == "status":
            card = sim.placed.id if sim.placed else "no card"
            print(f"card: {card}; faults: {' '.join(sim.faults) or 'none'}", file=sys.stderr, flush=True)
        else:
            print(f"unknown command {verb!r}; {HELP}", file=sys.stderr, flush=True)
    except (KeyError, ValueError, IndexError) as error:
        print(f"error: {error}", file=sys.stderr, flush=True)
    return True
