"""``kiosk device read-id``: wait for an ID card on a SAM reader and print what it holds."""

from __future__ import annotations

import argparse
import json
import logging
import queue
import sys
import time
from typing import Any

from kiosk.privacy import mask_id_number, mask_name

EXIT_FAULT = 1
EXIT_TIMEOUT = 3
KEYS = (
    "card_type", "name", "name_en", "sex", "nation", "nationality", "birth_date", "address", "id_number",
    "authority", "valid_from", "valid_to", "permit_number", "issue_count", "renewal_count", "old_card_number",
)  # fmt: skip


def register(cli: Any) -> None:
    p = cli.command("device", "read-id", help="wait for an ID card on a SAM reader and print what it holds")
    p.add_argument("--port", required=True, help="serial port of the reader, e.g. /dev/ttyUSB0")
    p.add_argument("--baud", type=int, default=115200, help="baud rate (default 115200)")
    p.add_argument("--timeout", type=float, default=30.0, help="seconds to wait for a card (default 30)")
    p.add_argument("--json", action="store_true", help="print one JSON object")
    p.add_argument("--reveal", action="store_true", help="print name and ID number unmasked")
    p.add_argument("--poll", type=float, default=1.0, help=argparse.SUPPRESS)  # seconds between polls (tests)
    p.set_defaults(func=read_id)


def identity_fields(identity: Any, reveal: bool) -> dict[str, Any]:
    """The read-id keys; dates as ISO strings, absent fields None, name/name_en/id_number masked unless reveal."""
    out: dict[str, Any] = {}
    for key in KEYS:
        value = getattr(identity, key)
        if hasattr(value, "isoformat"):
            value = value.isoformat()
        elif value is not None and not isinstance(value, int):
            value = str(value)
        out[key] = value
    if not reveal:
        for key in ("name", "name_en"):
            if out[key]:
                out[key] = mask_name(out[key])
        out["id_number"] = mask_id_number(out["id_number"])
    out["photo_bytes"] = len(identity.photo) if identity.photo is not None else None
    return out


def read_id(args: argparse.Namespace) -> int:
    from drivers.contract import DeviceState
    from drivers.idcard import IdCardReader

    logging.getLogger("drivers").addHandler(logging.NullHandler())  # the one-line reason is the output
    events: queue.Queue = queue.Queue()
    reader = IdCardReader(args.port, args.baud, poll_interval=args.poll)
    reader.subscribe(events.put)
    reader.open()
    deadline = time.monotonic() + args.timeout
    try:
        while True:
            left = deadline - time.monotonic()
            if left <= 0:
                print(f"timeout: no card read within {args.timeout:g} s", file=sys.stderr)
                return EXIT_TIMEOUT
            try:
                event = events.get(timeout=left)
            except queue.Empty:
                continue
            if event.kind == "identity_read":
                return _print_identity(event.payload["identity"], args)
            if event.kind == "error":
                print(f"{event.payload['code']}: {event.payload['detail']}", file=sys.stderr)
                return EXIT_FAULT
            if event.kind == "status" and event.payload["state"] in (DeviceState.NO_DEVICE, DeviceState.HARDWARE_ERROR):
                print(f"{event.payload['state']}: {event.payload['detail']}", file=sys.stderr)
                return EXIT_FAULT
    finally:
        reader.close()


def _print_identity(identity: Any, args: argparse.Namespace) -> int:
    fields = identity_fields(identity, args.reveal)
    if args.json:
        print(json.dumps(fields, ensure_ascii=False))
    else:
        width = max(map(len, fields))
        for key, value in fields.items():
            print(f"{key:<{width}}  {'-' if value is None else value}")
    for warning in identity.warnings:
        print(f"warning: {warning}", file=sys.stderr)
    return 0
