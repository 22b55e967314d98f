"""``kiosk sim sscard``: a private pcscd with a virtual social-security card, driven from stdin.

Prints the environment a driver in another process needs (``PCSCLITE_CSOCK_NAME``) and the reader
name, then reads commands, one a line: ``insert CARD_ID``, ``remove``, ``restart-pcscd``, ``list``,
``quit``. When stdin ends it keeps serving until interrupted.
"""

from __future__ import annotations

import argparse
import signal
import sys
import threading


def register(cli) -> None:
    p = cli.command("sim", "sscard", help="run a virtual social-security card on a private pcscd")
    p.add_argument("--deck", metavar="FILE", help="card deck JSON (default: the packaged deck)")
    p.add_argument("--fault", nargs="*", default=[], metavar="NAME", help="fault(s) applied to every inserted card")
    p.add_argument("--insert", metavar="CARD_ID", help="insert this deck card at start")
    p.set_defaults(func=_run)


def _run(args: argparse.Namespace) -> int:
    from drivers.sim.sscard import FAULTS, PcscEnvironment, pcsc_available

    unknown = [f for f in args.fault if f not in FAULTS]
    if unknown:
        print(f"unknown fault(s) {unknown}; known: {', '.join(FAULTS)}", file=sys.stderr)
        return 2
    ok, why = pcsc_available()
    if not ok:
        print(f"sim sscard: {why}", file=sys.stderr)
        return 1
    stop = threading.Event()
    signal.signal(signal.SIGTERM, _terminate)  # unwind through the with-block: pcscd is stopped
    with PcscEnvironment(args.deck, tuple(args.fault)) as env:
        for key, value in env.env_vars.items():
            print(f"export {key}={value}")
        print(f"reader: {env.reader_name}")
        print(f"cards: {' '.join(env.deck)}", flush=True)
        if args.insert:
            _command(env, f"insert {args.insert}")
        try:
            for line in sys.stdin:
                if not _command(env, line.strip()):
                    return 0
            stop.wait()
        except KeyboardInterrupt:
            pass
    return 0


def _terminate(*_: object) -> None:
    raise SystemExit(0)


def _command(env, line: str) -> bool:
    """Run one control line; False on quit."""
    word, _, rest = line.partition(" ")
    try:
        if word == "insert":
            card_id, *faults = rest.split()
            env.insert(card_id, faults)
            print(f"inserted {card_id}", flush=True)
        elif word == "remove":
            env.remove()
            print("removed", flush=True)
        elif word == "restart-pcscd":
            env.restart_pcscd()
            print("pcscd restarted", flush=True)
        elif word == "list":
            print(" ".join(env.deck), flush=True)
        elif word in ("quit", "exit"):
            return False
        elif word:
            print(f"? {word}: insert CARD_ID [FAULT…] | remove | restart-pcscd | list | quit", flush=True)
    except (KeyError, ValueError) as error:
        print(f"error: {error}", flush=True)
    return True
