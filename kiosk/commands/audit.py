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


def _expected(text: str | None) -> tuple[int, str] | None:
    if text is None:
        return None
    seq, _, digest = text.partition(":")
    if not (seq.isdigit() and len(digest) == 64):
        raise ValueError("--expect-head is SEQ:HASH (64 hex digits), as published in the heartbeat")
    return int(seq), digest.lower()


def _verify(args: argparse.Namespace) -> int:
    from kiosk.audit import FILE_NAME, VerifyResult

    try:
        expected = _expected(args.expect_head)
    except ValueError as error:
        print(f"audit: {error}", file=sys.stderr)
        return 2
    try:
        trail = _open(args)
    except FileNotFoundError as error:
        head_file = data_dir(args.data_dir) / FILE_NAME
        head_file = head_file.with_suffix(".head")
        if not head_file.exists() and expected is None:
            print(f"audit: {error}", file=sys.stderr)
            return 2
        # The database is gone but its sealed head (or an outside copy) says records existed.
        try:
            known = json.loads(head_file.read_text("utf-8"))["seq"] if head_file.exists() else expected[0]  # type: ignore[index]
        except (OSError, ValueError, KeyError, TypeError):
            known = "?"
        result = VerifyResult(False, 0, 1, f"every record missing: the audit database was deleted (head was record "
                                           f"{known})")  # fmt: skip
        seq, head = 0, ""
    else:
        with trail:
            result = trail.verify(expected_head=expected)
            seq, head = trail.head()
    if args.json:
        print(json.dumps({"ok": result.ok, "count": result.count, "first_broken_seq": result.first_broken_seq,
                          "reason": result.reason, "missing": [list(r) for r in result.missing],
                          "head_seq": seq, "head_hash": head}, ensure_ascii=False))  # fmt: skip
    elif result.ok:
        print(f"audit trail intact: {result.count} records, head {seq} {head}")
    else:
        where = f" at record {result.first_broken_seq}" if result.first_broken_seq else ""
        print(f"audit trail BROKEN{where}: {result.reason}", file=sys.stderr)
        print(f"{result.count} records verify", file=sys.stderr)
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
    p.add_argument("--expect-head", metavar="SEQ:HASH", help="an outside copy of the head (from the heartbeat)")
    p.set_defaults(func=_verify)
    p = cli.command("audit", "show", help="print the newest audit records")
    p.add_argument("--data-dir", help="the kiosk's data folder (default: from configuration)")
    p.add_argument("--last", type=int, default=20, metavar="N", help="how many records (default 20)")
    p.add_argument("--json", action="store_true", help="print each record as its canonical JSON line")
    p.set_defaults(func=_show)
