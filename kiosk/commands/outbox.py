"""``kiosk outbox deliver`` · ``kiosk outbox show``: an outbox folder's undelivered work, sent or listed.

``deliver`` is how an outbox that ``kiosk apply`` kept (the platform was down) reaches the platform; it
also works on a kiosk's data folder while the kiosk is stopped. No personal data is printed.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

EXIT_UNDELIVERED = 3  # something is still pending or failed


def _folder(args: argparse.Namespace) -> Path | None:
    from kiosk.platform.outbox import DB_NAME

    folder = Path(args.data_dir)
    if not (folder / DB_NAME).is_file():
        print(f"outbox: no outbox database in {folder}", file=sys.stderr)
        return None
    return folder


def _report(outbox: Any) -> dict[str, Any]:
    def jobs(items: list[Any]) -> list[dict[str, Any]]:
        return [{"reference": j.reference, "kind": j.kind, "state": j.state, "attempts": j.attempts,
                 "error": j.last_error, "application_no": j.application_no} for j in items]  # fmt: skip

    return {"pending": jobs(outbox.pending()), "failed": jobs(outbox.failed()), "delivered": len(outbox.delivered())}


def _open(folder: Path, args: argparse.Namespace) -> Any:
    from kiosk.platform import PlatformClient
    from kiosk.platform.outbox import Outbox

    url = getattr(args, "platform", None) or "http://127.0.0.1:9"  # show: never sends
    kiosk_id = args.kiosk_id
    client = PlatformClient(url, args.token, kiosk_id, timeout=(3.05, 15.0))
    return Outbox(folder, client, kiosk_id, backoff_base=0.2, backoff_cap=2.0)


def _deliver(args: argparse.Namespace) -> int:
    folder = _folder(args)
    if folder is None:
        return 2
    outbox = _open(folder, args)
    try:
        outbox.start()
        outbox.wait_idle(args.wait)
        report = _report(outbox)
    finally:
        outbox.close()
    print(json.dumps(report, ensure_ascii=False, indent=1))
    return EXIT_UNDELIVERED if report["pending"] or report["failed"] else 0


def _show(args: argparse.Namespace) -> int:
    folder = _folder(args)
    if folder is None:
        return 2
    outbox = _open(folder, args)
    try:
        report = _report(outbox)
    finally:
        outbox.close()
    print(json.dumps(report, ensure_ascii=False, indent=1))
    return EXIT_UNDELIVERED if report["pending"] or report["failed"] else 0


def register(cli: Any) -> None:
    p = cli.command("outbox", "deliver", help="send an outbox folder's undelivered applications to the platform")
    p.add_argument("--data-dir", required=True, help="the outbox folder (e.g. the one `kiosk apply` kept)")
    p.add_argument("--platform", required=True, help="platform URL")
    p.add_argument("--token", default="sim-device-token", help="device token for the platform")
    p.add_argument("--kiosk-id", default="K0001", help="the kiosk id the applications were queued under")
    p.add_argument("--wait", type=float, default=30.0, metavar="S", help="seconds to wait for delivery (default 30)")
    p.set_defaults(func=_deliver)
    p = cli.command("outbox", "show", help="list an outbox folder's pending and failed jobs (exit 3 if any)")
    p.add_argument("--data-dir", required=True, help="the outbox folder")
    p.add_argument("--token", default="sim-device-token", help=argparse.SUPPRESS)
    p.add_argument("--kiosk-id", default="K0001", help=argparse.SUPPRESS)
    p.set_defaults(func=_show)
