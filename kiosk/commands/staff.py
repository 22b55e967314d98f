"""``kiosk staff hash-pin`` and ``kiosk staff hash-card``: the values to paste into ``[[staff.members]]``."""

from __future__ import annotations

import argparse
import sys


def _read_secret(prompt: str, confirm: bool) -> str:
    """From getpass on a terminal (asked twice), else the first line of stdin (for scripts)."""
    if not sys.stdin.isatty():
        return sys.stdin.readline().strip()
    import getpass

    first = getpass.getpass(prompt)
    if confirm and getpass.getpass("again: ") != first:
        raise ValueError("the two entries differ")
    return first.strip()


def _hash_pin(args: argparse.Namespace) -> int:
    from kiosk.staff.pins import WeakPinError, hash_pin

    try:
        pin = _read_secret("staff PIN (6–12 digits): ", confirm=True)
        print(hash_pin(pin))
    except (WeakPinError, ValueError) as error:
        print(f"staff: {error}", file=sys.stderr)
        return 2
    return 0


def _hash_card(args: argparse.Namespace) -> int:
    from kiosk.staff.pins import hash_card

    try:
        number = args.number if args.number is not None else _read_secret("card number: ", confirm=False)
        print(hash_card(number))
    except ValueError as error:
        print(f"staff: {error}", file=sys.stderr)
        return 2
    return 0


def register(cli) -> None:
    p = cli.command("staff", "hash-pin", help="read a staff PIN (stdin or prompt) and print its argon2id hash")
    p.set_defaults(func=_hash_pin)
    p = cli.command("staff", "hash-card", help="print the card_hash of a staff card number")
    p.add_argument("number", nargs="?", help="the card number (default: read from stdin or prompt)")
    p.set_defaults(func=_hash_card)
