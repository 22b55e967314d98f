"""``kiosk audit verify`` and ``kiosk audit show``: check and read the hash-chained audit trail."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path


def data_dir(given: str | None) -> Path:
    from kiosk.config import load_settings
    from kiosk.launch import resolve_data_dir

    return resolve_data_dir(Path(given) if given else None, load_settings().settings)


def _open(args: argparse.Namespace):
    from kiosk.audit import FILE_NAME, AuditTrail

    return AuditTrail(data_dir(args.data_dir) / FILE_NAME, readonly=True)


def _verify(args: argparse.Namespace) -> int:
    try:
        trail = _open(args)
    except FileNotFoundError as error:
        print(f"audit: {error}", file=sys.stderr)
        return 2
    with trail:
        result = trail.verify()
        seq, head = trail.head()
    if args.json:
        print(json.dumps({"ok": result.ok, "count": result.count, "first_broken_seq": result.first_broken_seq,
                          "reason": result.reason, "head_seq": seq, "head_hash": head}))
    elif result.ok:
        print(f"audit trail intact: {result.count} records, head {seq} {head}")
    else:
        print(f"audit trail BROKEN at record {result.first_broken_seq}: {result.reason}", file=sys.stderr)
        print(f"{result.count} records before it verify", file=sys.stderr)
    return 0 if result.ok else 1


def _show(args: argparse.Namespace) -> int:
    try:
        trail = _open(args)
    except FileNotFoundError as error:
        print(f"audit: {error}", file=sys.stderr)
        return 2
    with trail:
        records = trail.tail(args.last)
    for entry in records:
        if args.json:
            print(entry.encode())
        else:
            fields = " ".join(f"{k}={json.dumps(v, ensure_ascii=False)}" for k, v in sorted(entry.fields.items()))
            print(f"{entry.seq:>6}  {entry.at}  {entry.kind:<24} {entry.actor:<12} {fields}".rstrip())
    return 0


def register(cli) -> None:
    p = cli.command("audit", "verify", help="check the audit trail's hash chain; names the first broken record")
    p.add_argument("--data-dir", help="the kiosk's data folder (default: from configuration)")
    p.add_argument("--json", action="store_true", help="print the result as JSON")
    p.set_defaults(func=_verify)
    p = cli.command("audit", "show", help="print the newest audit records")
    p.add_argument("--data-dir", help="the kiosk's data folder (default: from configuration)")
    p.add_argument("--last", type=int, default=20, metavar="N", help="how many records (default 20)")
    p.add_argument("--json", action="store_true", help="print each record as its canonical JSON line")
    p.set_defaults(func=_show)
