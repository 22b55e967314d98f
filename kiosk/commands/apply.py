"""``kiosk apply --script FILE.json [--platform URL]``: one application without the UI, result as JSON.

The identity comes from a simulated card read through the real ID-card driver and the reader simulator;
then the item or bundle, its materials (captured files, e-certificates, commitments, deferrals), the form,
submission through the outbox, delivery, and the receipt on the printer emulator (or a printer URI). With no
``--platform`` the platform simulator is started on loopback for the run. Format: docs/applications.md.

Nothing is lost: without ``--data-dir`` the outbox lives in a temporary folder that is removed only when it
holds no undelivered work; otherwise the folder is kept, its path printed (``outbox_kept``), and
``kiosk outbox deliver --data-dir DIR --platform URL`` sends it later. The exit status says whether the
platform has the application (0), it is still queued (3) or it failed permanently (4).
"""

from __future__ import annotations

import argparse
import json
import shutil
import sqlite3
import tempfile
from pathlib import Path
from typing import Any

EXIT_REFUSED = 1  # verification refused, not accepted here, or the application is not complete
EXIT_ERROR = 2  # the script or a device could not be used
EXIT_QUEUED = 3  # submitted and saved in the outbox, not delivered yet
EXIT_FAILED = 4  # the platform refused the application for good (kept in the outbox for staff)


class ScriptError(Exception):
    pass


def register(cli: Any) -> None:
    p = cli.command("apply", help="run one application from a JSON script without the UI; prints the result as JSON")
    p.add_argument("--script", required=True, help="the application script (docs/applications.md)")
    p.add_argument("--platform", default=None, help="platform URL (default: start the simulator on loopback)")
    p.add_argument("--token", default="sim-device-token", help="device token for the platform")
    p.add_argument("--data-dir", default=None, help="outbox folder (default: a temporary folder)")
    p.add_argument("--out", default=None, help="folder for the receipt PNG and printer output (default: temporary)")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    try:
        script_path = Path(args.script)
        script = json.loads(script_path.read_text("utf-8"))
        if not isinstance(script, dict):
            raise ScriptError("the script must be a JSON object")
    except (OSError, ValueError, ScriptError) as exc:
        return _emit({"ok": False, "stage": "script", "error": str(exc)}, EXIT_ERROR)
    tmp = Path(tempfile.mkdtemp(prefix="kiosk-apply-"))
    data_dir = Path(args.data_dir or tmp / "data")
    try:
        out_dir = Path(args.out or tmp / "out")
        out_dir.mkdir(parents=True, exist_ok=True)
        result, status = _apply(script, script_path.parent, args, data_dir, out_dir)
    except ScriptError as exc:
        result, status = {"ok": False, "stage": "script", "error": str(exc)}, EXIT_ERROR
    except (OSError, sqlite3.Error) as exc:  # e.g. the disk is full: said; nothing was queued, or it is kept
        error = getattr(exc, "strerror", None) or str(exc)
        result, status = {"ok": False, "stage": "local", "error": f"this computer cannot save: {error}"}, EXIT_ERROR
    if args.data_dir is None and _holds_work(data_dir):
        result["outbox_kept"] = str(data_dir)
        result["message"] = (f"the application is saved in {data_dir}, not delivered; send it with "
                             f"`kiosk outbox deliver --data-dir {data_dir} --platform URL`")  # fmt: skip
        shutil.rmtree(tmp / "out", ignore_errors=True)
    else:
        shutil.rmtree(tmp, ignore_errors=True)
    return _emit(result, status)


def _holds_work(data_dir: Path) -> bool:
    """Does this outbox still hold an application the platform does not have (pending or failed)?"""
    from kiosk.platform.outbox import DB_NAME

    path = data_dir / DB_NAME
    if not path.exists():
        return False
    try:
        with sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True) as db:
            return bool(db.execute("SELECT COUNT(*) FROM jobs WHERE state != 'delivered'").fetchone()[0])
    except sqlite3.Error:
        return True  # unreadable: keep it, never guess


def _emit(result: dict[str, Any], status: int) -> int:
    print(json.dumps(result, ensure_ascii=False, indent=1, default=str))
    return status


def _apply(script: dict, base: Path, args: argparse.Namespace, data_dir: Path, out_dir: Path) -> tuple[dict, int]:
    from contextlib import ExitStack

    with ExitStack() as stack:
        url = args.platform
        if url is None:
            from drivers.sim.platform import PlatformSimulator

            sim = PlatformSimulator(data_dir.parent / "platform-sim.sqlite3", token=args.token)
            sim.start()
            stack.callback(sim.stop)
            url = sim.url
        return _journey(script, base, args, url, data_dir, out_dir, stack)
    raise AssertionError("unreachable")


def _journey(script, base, args, url, data_dir, out_dir, stack) -> tuple[dict, int]:
    from kiosk.applications import ApplicationOffice, MaterialRefused, NotReady
    from kiosk.catalog import load_catalog
    from kiosk.config import load_settings
    from kiosk.i18n import translate
    from kiosk.paths import config_dir
    from kiosk.platform import PlatformClient
    from kiosk.platform.outbox import Outbox
    from kiosk.workdays import load_tables

    settings = load_settings(site_file=None).settings
    lang = settings.kiosk.language  # the resident's words, in the kiosk's language
    kiosk_id = str(script.get("kiosk_id", settings.kiosk.id))
    client = PlatformClient(url, args.token, kiosk_id, timeout=(3.05, 15.0))
    stack.callback(client.close)
    outbox = Outbox(data_dir, client, kiosk_id, backoff_base=0.2, backoff_cap=2.0)
    stack.callback(outbox.close)
    stack.callback(outbox.stop)
    printer, emulator = _printer(script.get("printer", "emulator"), out_dir, settings, stack)
    services = ApplicationOffice(
        settings=settings,
        catalog=load_catalog(config_dir() / "catalog"),
        client=client,
        outbox=outbox,
        printer=printer,
        holiday_tables=load_tables(config_dir() / "holidays"),
    )
    result: dict[str, Any] = {"ok": False, "platform": url, "kiosk_id": kiosk_id}
    cards = _read_cards(script)
    resident, principal = cards[0], (cards[1] if len(cards) > 1 else None)
    session = services.new_session()
    face = _read_file(base, script["face_jpeg"]) if script.get("face_jpeg") else None
    outcome = session.verify_card(resident, face_jpeg=face)
    message = translate(outcome.message, lang)
    result["verification"] = {"verified": outcome.verified, "reason": outcome.reason, "message": message}
    if not outcome.verified:
        return {**result, "stage": "verification"}, EXIT_REFUSED
    result["certificates"] = [c.code for c in session.certificates]
    item, bundle = script.get("item"), script.get("bundle")
    if (item is None) == (bundle is None):
        raise ScriptError('give exactly one of "item" and "bundle"')
    try:
        app = session.start_application(item_code=item, bundle_code=bundle, principal=principal)
    except KeyError as exc:
        raise ScriptError(f"no such item or bundle: {exc}") from None
    except ValueError as exc:  # e.g. the principal is the agent
        return {**result, "stage": "application", "error": translate(str(exc), lang)}, EXIT_REFUSED
    result["route"] = {"kind": app.route.kind.value, "region_code": app.route.region_code, "office": app.route.office,
                       "message": translate(app.route.message, lang),
                       "where_to_go": [translate(place, lang) for place in app.route.where_to_go]}  # fmt: skip
    if not app.route.accepted:  # says where to go instead
        return {**result, "stage": "route"}, EXIT_REFUSED
    try:
        _materials(app, script.get("materials", {}), base)
    except MaterialRefused as exc:
        return {**result, "stage": "materials", "error": str(exc)}, EXIT_REFUSED
    try:
        app.set_form(script.get("form", {}))
    except KeyError as exc:
        raise ScriptError(str(exc)) from None
    result["materials"] = {s.code: s.status.value for s in app.materials}
    try:
        sub = session.submit(app)
    except NotReady as exc:
        r = exc.readiness
        errors = {key: translate(message, lang) for key, message in r.field_errors.items()}
        return {**result, "stage": "check", "message": translate(r.message, lang),
                "missing": [s.code for s in r.missing], "field_errors": errors}, EXIT_REFUSED  # fmt: skip
    outbox.start()
    outbox.wait_idle(float(script.get("wait_delivery_s", 15)))
    printed = services.print_receipt(sub)
    session.end()
    job = outbox.lookup(sub.reference)
    state = job.state if job is not None else sub.state
    result.update(
        ok=state == "delivered",
        stage="done" if state == "delivered" else "delivery",
        reference=sub.reference,
        application_no=sub.application_no,
        delivered=state == "delivered",
        state=state,
        error=job.last_error if job is not None and state != "delivered" else None,
        office=sub.office,
        promised_by=sub.promised_by.isoformat(),
        approximate=sub.approximate,
        progress_qr=sub.progress_qr,
        receipt={"printed": printed.printed, "code": printed.code, "detail": printed.detail},
    )
    if printed.png is not None:
        path = out_dir / f"receipt-{sub.reference}.png"
        path.write_bytes(printed.png)
        result["receipt"]["png"] = str(path)
    if emulator is not None and printed.printed:
        job = emulator.wait_for_jobs(1, timeout=10)[-1]
        result["receipt"].update(emulator_png=str(job.png) if job.png else None, qr_payloads=list(job.qr_payloads),
                                 lines=list(job.lines))  # fmt: skip
    if args.out is None:  # the temporary folder goes away: say so rather than print dead paths
        result["receipt"].pop("png", None)
        result["receipt"].pop("emulator_png", None)
    return result, {"delivered": 0, "failed": EXIT_FAILED}.get(state, EXIT_QUEUED)


def _printer(spec: str, out_dir: Path, settings: Any, stack: Any) -> tuple[Any, Any]:
    from drivers.printer import ThermalPrinter, paper_named

    paper = paper_named(str(settings.devices.printer.paper_width_mm))
    if spec == "none":
        return None, None
    emulator = None
    if spec == "emulator":
        from drivers.sim.printer import PrinterEmulator

        emulator = PrinterEmulator(host="127.0.0.1", port=0, out_dir=out_dir, dots=paper.dots)
        emulator.start()
        stack.callback(emulator.stop)
        spec = emulator.address
    elif not spec.startswith(("tcp://", "file://", "serial://", "usb://")):
        raise ScriptError(f"printer: {spec!r} is not emulator, none or a printer URI")
    printer = ThermalPrinter(spec, paper=paper)
    printer.open()
    stack.callback(printer.close)
    return printer, emulator


def _read_cards(script: dict) -> list[Any]:
    """The resident's card (and the principal's, for 代办) read through the real driver from the simulator."""
    from drivers.idcard import IdCardReader
    from drivers.sim.idcard import IdCardSimulator
    from drivers.sim.idcard.cards import SimCard, load_deck

    specs = [script.get("card")] + ([script["principal_card"]] if script.get("principal_card") else [])
    if specs[0] is None:
        raise ScriptError('"card" is required (a deck card id or the card fields)')
    deck = load_deck()
    cards = []
    for index, spec in enumerate(specs):
        if isinstance(spec, str):
            match = [c for c in deck if c.id == spec]
            if not match:
                raise ScriptError(f"no card {spec!r} in the simulator's deck")
            cards.append(match[0])
        elif isinstance(spec, dict):
            fields = {k: str(v) for k, v in spec.items() if k != "type"}
            cards.append(SimCard(f"script-{index}", str(spec.get("type", "resident")), fields))
        else:
            raise ScriptError("a card is a deck id or an object of card fields")
    identities = []
    with IdCardSimulator(deck=cards) as reader_sim:
        # The simulator answers from this process's threads: on a busy machine it can take far longer than a
        # real SAM's 0.1 s, so allow a second per exchange (a failed exchange would refuse the whole script).
        reader = IdCardReader(reader_sim.port, poll_interval=None, find_timeout=1.0, select_timeout=1.0)
        reader.open()
        try:
            for card in cards:
                reader_sim.place(card)
                for _ in range(3):  # a read can fail like on a real reader (a busy machine misses a reply)
                    done = reader.read_card(timeout=5).result(15)
                    if done.ok:
                        break
                reader_sim.remove()
                if not done.ok:
                    raise ScriptError(f"card {card.id}: {done.code}: {done.detail}")
                identities.append(done.value)
        finally:
            reader.close()
    return identities


def _read_file(base: Path, name: str) -> bytes:
    path = Path(name) if Path(name).is_absolute() else base / name
    try:
        return path.read_bytes()
    except OSError as exc:
        raise ScriptError(f"{name}: {exc.strerror}") from None


_TYPES = {".jpg": "image/jpeg", ".jpeg": "image/jpeg", ".png": "image/png", ".pdf": "application/pdf"}


def _materials(app: Any, materials: dict, base: Path) -> None:
    from kiosk.applications import MaterialStatus

    if not isinstance(materials, dict):
        raise ScriptError('"materials" is an object: material code → how it is provided')
    for code, how in materials.items():
        try:
            slot = app.material(code)
        except KeyError:
            raise ScriptError(f"materials: {app.title} asks for no material {code!r}") from None
        if how == "deferred":
            slot.defer()
        elif how == "certificate":
            if slot.status is not MaterialStatus.CERTIFICATE:
                raise ScriptError(f"materials: {code} is not covered by the resident's e-certificates")
        elif isinstance(how, dict) and len(how) == 1 and set(how) <= {"file", "commitment"}:
            (kind, name), = how.items()
            ctype = _TYPES.get(Path(name).suffix.lower())
            if ctype is None:
                raise ScriptError(f"materials: {name}: use .jpg, .png or .pdf")
            data = _read_file(base, name)
            slot.provide_file(data, ctype) if kind == "file" else slot.commit(data, ctype)
        else:
            raise ScriptError(f'materials: {code}: "deferred", "certificate", {{"file": F}} or {{"commitment": F}}')
