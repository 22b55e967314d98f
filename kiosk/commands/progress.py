"""``kiosk progress QUERY``: an application's progress, as the touchscreen's lookup gives it, for support staff.

QUERY is what a resident reads out or shows: the platform's number (TB…), this kiosk's local reference
(K0001-7QX2M-000123, or its digits alone) or a receipt QR's text. The kiosk's own outbox (``--data-dir``) answers
for applications not yet delivered; the platform (the configured one, or ``--platform URL --token T``;
with ``platform.url = "sim"`` the kiosk's simulator database) answers the rest. Prints the masked answer
(``--json`` for scripts), in the kiosk's language (``kiosk.language``, or ``--lang``).
Exit status: 0 found, 1 not found or invalid, 2 platform unreachable.
"""

from __future__ import annotations

import argparse
import json
from contextlib import ExitStack
from pathlib import Path
from typing import Any

from kiosk.i18n import LANGUAGES, N_, translate

EXIT_NOT_FOUND = 1
EXIT_UNAVAILABLE = 2


def register(cli: Any) -> None:
    p = cli.command("progress", help="look up an application's progress by number, local reference or receipt QR")
    p.add_argument("query", help="TB… number, local reference (K0001-7QX2M-000123, or its digits) or receipt QR text")
    p.add_argument("--config", type=Path, help="site configuration file")
    p.add_argument("--data-dir", type=Path, help="the kiosk's data folder (its outbox answers for undelivered ones)")
    p.add_argument("--platform", default=None, help="platform URL (default: from configuration)")
    p.add_argument("--token", default=None, help="device token (default: the kiosk's credentials)")
    p.add_argument("--json", action="store_true", help="print JSON")
    p.add_argument("--lang", choices=LANGUAGES, default=None, help="language of the answer (default: kiosk.language)")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from kiosk import clock
    from kiosk.config import load_settings
    from kiosk.launch import resolve_data_dir

    settings = load_settings(site_file=args.config).settings
    clock.configure(settings.kiosk.time_zone)
    data_dir = resolve_data_dir(args.data_dir, settings)
    with ExitStack() as stack:
        lookup = _lookup(args, settings, data_dir, stack)
    lang = args.lang or settings.kiosk.language
    answer = _as_dict(lookup, lang)
    if args.json:
        print(json.dumps(answer, ensure_ascii=False, indent=1))
    else:
        print(_as_text(answer, lang))
    if lookup.found:
        return 0
    return EXIT_UNAVAILABLE if lookup.state == "unavailable" else EXIT_NOT_FOUND


def _lookup(args: argparse.Namespace, settings: Any, data_dir: Path, stack: ExitStack) -> Any:
    from kiosk.applications import progress
    from kiosk.platform import PlatformClient
    from kiosk.platform.outbox import DB_NAME, Outbox

    url, token = args.platform or settings.platform.url, args.token
    sim_dir = data_dir / "sim"
    if url == "sim":
        from drivers.sim.platform import PlatformSimulator
        from kiosk.hardware import SIM_TOKEN_FILE

        token_file = sim_dir / SIM_TOKEN_FILE
        token = token or (token_file.read_text("utf-8").strip() if token_file.exists() else "sim-device-token")
        sim_dir.mkdir(parents=True, exist_ok=True)
        sim = PlatformSimulator(sim_dir / "platform.sqlite3", token=token)
        sim.start()
        stack.callback(sim.stop)
        url = sim.url
    elif token is None:
        if not settings.platform.credentials_file:
            raise SystemExit("kiosk progress: give --token, or set platform.credentials_file")
        token = Path(settings.platform.credentials_file).read_text("utf-8").strip()
    client = PlatformClient(url, token, settings.kiosk.id, ca_bundle=settings.platform.ca_bundle or None)
    stack.callback(client.close)
    prefix = settings.kiosk.id
    if not (data_dir / DB_NAME).exists():  # no outbox here: the platform alone answers
        outbox = None
    else:
        outbox = Outbox(data_dir, client, settings.kiosk.id)
        stack.callback(outbox.close)
        prefix = f"{outbox.kiosk_id}-{outbox.instance}"
    query = args.query.strip()
    if query.startswith(("tongban://", "https://")):
        try:
            key = progress.parse_progress_qr(query)
        except ValueError:
            return progress.Lookup("invalid", progress.NOT_A_RECEIPT_CODE)
    else:
        try:
            key = progress.typed_key(query, prefix)
        except ValueError:
            return progress.Lookup("invalid", progress.BAD_NUMBER)
    if key.application_no:
        return progress.by_number(client, key.application_no)
    assert key.reference is not None
    return progress.by_reference(client, outbox, key.reference)


def _as_dict(lookup: Any, lang: str) -> dict[str, Any]:
    from kiosk import clock

    label = lookup.status_label
    out: dict[str, Any] = {"state": lookup.state, "message": translate(lookup.message, lang),
                           "application_no": lookup.application_no, "reference": lookup.reference}  # fmt: skip
    view = lookup.progress
    if view is not None:
        out.update(
            status=view.status,
            status_label=translate(label, lang) if label else None,
            handling_org=view.handling_org,
            promised_by=view.promised_by.isoformat() if view.promised_by else None,
            history=[{"at": clock.stamp(e.at), "status": e.status, "note": e.note} for e in view.history],
            promise_changes=[{"from": c.old.isoformat() if c.old else None, "to": c.new.isoformat(),
                              "reason": c.reason} for c in view.promise_changes],
        )
    return out


def _as_text(answer: dict[str, Any], lang: str) -> str:
    lines = [answer["message"]]
    for key, label in (("application_no", N_("Application number")), ("reference", N_("Local reference")),
                       ("handling_org", N_("Handled by")), ("promised_by", N_("Promised by"))):  # fmt: skip
        if answer.get(key):
            pair = translate(N_("{label}: {value}"), lang)
            lines.append(pair.format(label=translate(label, lang), value=answer[key]))
    for entry in answer.get("history", []):
        lines.append(f"  {entry['at']}  {entry['note'] or entry['status']}")
    for change in answer.get("promise_changes", []):
        moved = translate(N_("The receipt promised {old}; it is now {new}, because: {reason}"), lang)
        lines.append("  " + moved.format(old=change["from"] or "—", new=change["to"], reason=change["reason"]))
    return "\n".join(lines)
