"""``kiosk device read-ssc``: read a social-security card once and print it (masked by default)."""

from __future__ import annotations

import argparse
import json
import sys

from kiosk.privacy import mask_id_number, mask_name


def register(cli) -> None:
    p = cli.command("device", "read-ssc", help="read a social-security card (社保卡) over PC/SC")
    p.add_argument("--reader", metavar="PATTERN", help="regular expression matching the PC/SC reader name")
    p.add_argument("--timeout", type=float, default=30.0, metavar="SECONDS", help="how long to wait for a card")
    p.add_argument("--json", action="store_true", help="print one JSON object")
    p.add_argument("--reveal", action="store_true", help="print name and ID number unmasked")
    p.set_defaults(func=_read)


def card_fields(identity, reveal: bool) -> dict[str, str | None]:
    """The printed keys, in order; name and ID number masked unless ``reveal``."""
    extra = identity.extra
    return {
        "card_number": extra.get("card_number"),
        "card_id_code": extra.get("card_id_code"),
        "region_code": identity.region_code,
        "card_version": extra.get("card_version"),
        "issue_date": extra.get("issue_date"),
        "valid_until": extra.get("valid_until"),
        "id_number": identity.id_number if reveal else mask_id_number(identity.id_number),
        "name": identity.name if reveal else mask_name(identity.name),
        "sex": str(identity.sex),
        "nation": identity.nation,
        "birth_date": identity.birth_date.isoformat() if identity.birth_date else None,
    }


def _read(args: argparse.Namespace) -> int:
    from drivers.sscard import SocialSecurityCardReader

    reader = SocialSecurityCardReader(args.reader)
    reader.open()
    try:
        completion = reader.read_sync(args.timeout)
    finally:
        reader.close()
    if not completion.ok:
        if args.json:
            print(json.dumps({"code": str(completion.code), "detail": completion.detail}, ensure_ascii=False))
        print(f"read-ssc: {completion.code}: {completion.detail}", file=sys.stderr)
        return 1
    fields = card_fields(completion.value, args.reveal)
    if args.json:
        print(json.dumps({**fields, "warnings": list(completion.value.warnings)}, ensure_ascii=False))
    else:
        for key, value in fields.items():
            print(f"{key:13} {value}")
        for warning in completion.value.warnings:
            print(f"warning       {warning}")
    return 0
