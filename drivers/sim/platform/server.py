"""The platform simulator: the government service platform's gateway on loopback, per PLATFORM_API.md.

A real HTTP/1.1 server (stdlib ``ThreadingHTTPServer``) with SQLite persistence, test residents with
electronic certificates, idempotency (same key + same body → the first answer with 200; same key +
different body → 409), 422 validation errors, 401 for a wrong device token, applications that move
accepted → in_review → completed on a clock, and per-endpoint fault injection (see ``faults.py``).

In-process control for tests, demos and benchmarks::

    sim = PlatformSimulator("platform.db", port=0, token="t0k3n")
    sim.start(); sim.url; sim.set_faults("applications", drop_after=0.2); sim.applications(); sim.stop()
"""

from __future__ import annotations

import datetime as dt
import hashlib
import html
import json
import logging
import re
import secrets
import threading
import time
import uuid
from collections.abc import Sequence
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, unquote, urlsplit

from drivers.heartbeat_contract import required_errors
from drivers.sim.platform import validate
from drivers.sim.platform.faults import ENDPOINTS, Fault, FaultBook
from drivers.sim.platform.store import Store

log = logging.getLogger(__name__)

TZ = dt.timezone(dt.timedelta(hours=8))  # the platform answers in China Standard Time
MAX_FILE = 5 * 1024 * 1024
MAX_JSON = 1024 * 1024
FILE_TYPES = ("image/jpeg", "image/png", "application/pdf")
VERIFICATION_TTL = 600
RESIDENTS_FILE = Path(__file__).with_name("residents.json")
CATALOG_DIR = Path(__file__).resolve().parents[3] / "config" / "catalog"  # the packaged catalog's items


def _catalog_files(directory: Path) -> list[dict[str, Any]]:
    """A catalog folder's item files, each as plain YAML (drivers never import the kiosk's catalog code)."""
    import yaml

    files = []
    for path in sorted(directory.glob("items/*.yaml")):
        try:
            files.append(yaml.safe_load(path.read_text(encoding="utf-8")) or {})
        except (OSError, UnicodeDecodeError, yaml.YAMLError):
            log.warning("platform simulator: catalog file %s unreadable; its items get the defaults", path)
    return files


def catalog_promised_days(directory: str | Path = CATALOG_DIR) -> dict[str, int]:
    """Each item's own 承诺时限 from a catalog folder; empty when the folder is missing or unreadable."""
    days: dict[str, int] = {}
    for data in _catalog_files(Path(directory)):
        for item in data.get("items") or []:
            if isinstance(item, dict) and isinstance(item.get("promised_days"), int):
                days[str(item.get("code"))] = item["promised_days"]
    return days


def catalog_departments(directory: str | Path = CATALOG_DIR) -> dict[str, str]:
    """Each item's handling department by name (an item file names its department by code), for the platform's
    ``handling_org``: the department that handles the item, as the county's platform answers it."""
    import yaml

    try:
        listed = yaml.safe_load((Path(directory) / "departments.yaml").read_text(encoding="utf-8")) or {}
        names = {str(d["code"]): str(d["name"]) for d in listed.get("departments") or [] if isinstance(d, dict)}
    except (OSError, UnicodeDecodeError, yaml.YAMLError, KeyError):
        return {}
    departments: dict[str, str] = {}
    for data in _catalog_files(Path(directory)):
        for item in data.get("items") or []:
            name = names.get(str(item.get("department") or data.get("department"))) if isinstance(item, dict) else None
            if name:
                departments[str(item.get("code"))] = name
    return departments


STATUS_NOTES = {"accepted": "已受理", "in_review": "审查中", "completed": "已办结"}
PAGE_STATUS = {"accepted": "已受理", "in_review": "审核中", "need_more": "需补充材料", "approved": "已批准",
               "rejected": "不予批准", "completed": "已办结"}  # fmt: skip
# 好差评 reasons as the national level-two indicators (服务效率, 服务水平, 服务态度, 办事指南精确度, 办事便捷度,
# 平台操作性; sources in kiosk/evaluation_codes.py, which drivers may not import): codes, never a label.
EVALUATION_REASONS = ("operability", "guide_accuracy", "convenience", "service_efficiency", "service_level",
                      "service_attitude")
EVALUATED_SERVICES = ("application", "guide", "progress")
PROGRESS_PAGE = "/progress"  # the page a receipt QR opens (the kiosk's platform.progress_url points here)


class Reject(Exception):
    """An error answer: ``{"error": {"code", "message", "fields"}}`` with this status."""

    def __init__(self, status: int, code: str, message: str, fields: dict[str, str] | None = None) -> None:
        super().__init__(message)
        self.status, self.code, self.message, self.fields = status, code, message, fields or {}

    def body(self) -> dict[str, Any]:
        error: dict[str, Any] = {"code": self.code, "message": self.message}
        if self.fields:
            error["fields"] = dict(self.fields)
        return {"error": error}


def _iso(epoch: float) -> str:
    return dt.datetime.fromtimestamp(epoch, TZ).isoformat(timespec="seconds")


QR_MARKERS = {"eid_qr": "SIMQR", "essc_qr": "SIMESSC"}


def make_qr_payload(id_number: str, expires_at: float, method: str = "eid_qr") -> str:
    """The simulator's stand-in for an eID (``eid_qr``) or e-social-security-card (``essc_qr``) QR code."""
    return f"{QR_MARKERS[method]}|{id_number}|{int(expires_at)}"


class PlatformSimulator:
    def __init__(
        self,
        db_path: str | Path,
        *,
        host: str = "127.0.0.1",
        port: int = 0,
        token: str = "sim-device-token",
        residents: str | Path | None = None,
        faults: dict[str, Fault] | None = None,
        seed: int | None = None,
        speed: float = 1.0,
        review_after: float = 60.0,
        complete_after: float = 300.0,
        promised_days: dict[str, int] | None = None,
        default_promised_days: int = 5,
    ) -> None:
        """``speed`` multiplies the clock: with speed=60 an application is in review after one real second.

        ``promised_days`` maps item codes to their promised working days (default: each item's own, read from
        the packaged catalog); an application's promise is the longest of its items'. ``review_after`` /
        ``complete_after`` are simulated seconds after acceptance.
        """
        self.db_path = Path(db_path)
        self.host, self._port, self.token = host, port, token
        data = json.loads(Path(residents or RESIDENTS_FILE).read_text(encoding="utf-8"))
        self.residents: dict[str, dict[str, Any]] = {r["id_number"]: r for r in data["residents"]}
        self.regions: dict[str, str] = data.get("regions", {})
        self.faults = FaultBook(faults, seed)
        self.speed, self.review_after, self.complete_after = speed, review_after, complete_after
        self.promised_days = catalog_promised_days() if promised_days is None else promised_days
        self.departments = catalog_departments()
        self.default_promised_days = default_promised_days
        self._offset = 0.0
        self._stats_lock = threading.Lock()
        self._stats: dict[str, int] = {}
        self._store: Store | None = None
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None

    # -- lifecycle ---------------------------------------------------------------------------------------

    def start(self) -> PlatformSimulator:
        self._store = Store(self.db_path)
        self._server = _Server((self.host, self._port), _Handler, self)
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, name="platform-sim", daemon=True
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        if self._server:
            self._server.shutdown()
            self._server.server_close()
            self._server = None
        if self._thread:
            self._thread.join(timeout=5)
            self._thread = None
        if self._store:
            self._store.close()
            self._store = None

    def __enter__(self) -> PlatformSimulator:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    @property
    def port(self) -> int:
        if not self._server:
            raise RuntimeError("simulator not started")
        return self._server.server_address[1]

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"

    # -- control -----------------------------------------------------------------------------------------

    def set_faults(self, endpoint: str, fault: Fault | None = None, **changes: float | int) -> None:
        """Replace an endpoint's fault (``fault=``), or change some of its settings (keywords); ``*`` = all."""
        if fault is not None or not changes:
            self.faults.set(endpoint, fault)
        else:
            for name in ENDPOINTS if endpoint == "*" else (endpoint,):
                self.faults.update(name, **changes)

    def clear_faults(self) -> None:
        self.faults.set("*", None)

    def now(self) -> float:
        return time.time() + self._offset

    def advance(self, seconds: float) -> None:
        """Move the simulator's clock forward (verification expiry, application progress)."""
        self._offset += seconds

    def stats(self) -> dict[str, int]:
        with self._stats_lock:
            return dict(self._stats)

    def count(self, name: str) -> None:
        with self._stats_lock:
            self._stats[name] = self._stats.get(name, 0) + 1

    def set_status(self, application_no: str, status: str, note: str = "") -> None:
        """Record a status by hand (need_more, approved, rejected …); the automatic clock stops there."""
        with self.store.transaction() as db:
            if not db.execute("SELECT 1 FROM applications WHERE application_no=?", (application_no,)).fetchone():
                raise KeyError(application_no)
            db.execute(
                "INSERT INTO status_events (application_no, at, status, note) VALUES (?,?,?,?)",
                (application_no, self.now(), status, note),
            )

    def change_promise(self, application_no: str, promised_by: str, reason: str) -> None:
        """The handling office moves the promised date (补正 suspends the clock, an approved extension …)."""
        dt.date.fromisoformat(promised_by)
        with self.store.transaction() as db:
            row = db.execute("SELECT promised_by FROM applications WHERE application_no=?", (application_no,))
            old = row.fetchone()
            if old is None:
                raise KeyError(application_no)
            db.execute("INSERT INTO promise_changes VALUES (?,?,?,?,?)",
                       (application_no, self.now(), old["promised_by"], promised_by, reason))  # fmt: skip
            db.execute("UPDATE applications SET promised_by=? WHERE application_no=?", (promised_by, application_no))

    def applications(self) -> list[dict[str, Any]]:
        """Every accepted application, oldest first, with its body and current status (for assertions)."""
        out = []
        for row in self.store.query("SELECT * FROM applications ORDER BY seq"):
            progress = self.progress_of(row)
            out.append(
                {
                    "application_no": row["application_no"],
                    "kiosk_id": row["kiosk_id"],
                    "client_reference": row["client_reference"],
                    "status": progress["status"],
                    "accepted_at": _iso(row["accepted_at"]),
                    "body": json.loads(row["body"]),
                }
            )
        return out

    def evaluations(self) -> list[dict[str, Any]]:
        rows = self.store.query("SELECT evaluation_id, body FROM evaluations ORDER BY at")
        return [{"evaluation_id": r["evaluation_id"], **json.loads(r["body"])} for r in rows]

    def service_evaluations(self) -> list[dict[str, Any]]:
        """好差评 of services without an application of their own (a guide consulted, a progress lookup)."""
        rows = self.store.query("SELECT evaluation_id, body FROM service_evaluations ORDER BY at, rowid")
        return [{"evaluation_id": r["evaluation_id"], **json.loads(r["body"])} for r in rows]

    def heartbeats(self) -> list[dict[str, Any]]:
        rows = self.store.query("SELECT kiosk_id, body FROM heartbeats ORDER BY rowid")
        return [{"kiosk_id": r["kiosk_id"], **json.loads(r["body"])} for r in rows]

    def assistance_calls(self) -> list[dict[str, Any]]:
        """Residents' calls for staff (呼叫工作人员) as heartbeats carried them, each call once, oldest first."""
        calls: dict[str, dict[str, Any]] = {}
        for beat in self.heartbeats():
            call = beat.get("assistance")
            if isinstance(call, dict) and call.get("call_id") not in calls:
                calls[str(call.get("call_id"))] = {"kiosk_id": beat["kiosk_id"], **call}
        return list(calls.values())

    def files(self) -> list[dict[str, Any]]:
        return [dict(r) for r in self.store.query("SELECT file_id, sha256, size, content_type FROM files ORDER BY at")]

    @property
    def store(self) -> Store:
        if not self._store:
            raise RuntimeError("simulator not started")
        return self._store

    # -- domain ------------------------------------------------------------------------------------------

    def progress_of(self, row: Any) -> dict[str, Any]:
        accepted = row["accepted_at"]
        events = [(accepted, "accepted", STATUS_NOTES["accepted"])]
        manual = [
            (r["at"], r["status"], r["note"])
            for r in self.store.query(
                "SELECT at, status, note FROM status_events WHERE application_no=? ORDER BY at, rowid",
                (row["application_no"],),
            )
        ]
        stop_at = manual[0][0] if manual else float("inf")
        now = self.now()
        for after, status in ((self.review_after, "in_review"), (self.complete_after, "completed")):
            at = accepted + after / self.speed
            if at <= now and at < stop_at:
                events.append((at, status, STATUS_NOTES[status]))
        events.extend(e for e in manual if e[0] <= now)
        events.sort(key=lambda e: e[0])
        return {
            "application_no": row["application_no"],
            "client_reference": row["client_reference"],
            "status": events[-1][1],
            "history": [{"at": _iso(at), "status": status, "note": note} for at, status, note in events],
            "promised_by": row["promised_by"],
            "promise_changes": [
                {"at": _iso(r["at"]), "from": r["old"], "to": r["new"], "reason": r["reason"]}
                for r in self.store.query(
                    "SELECT * FROM promise_changes WHERE application_no=? ORDER BY at, rowid", (row["application_no"],)
                )
            ],
            "handling_org": row["handling_org"],
        }

    def promised_date(self, items: list[str], accepted: float) -> str | None:
        days = max(self.promised_days.get(item, self.default_promised_days) for item in items)
        day = dt.datetime.fromtimestamp(accepted, TZ).date()
        try:
            import chinese_calendar

            while days > 0:
                day += dt.timedelta(days=1)
                if chinese_calendar.is_workday(day):
                    days -= 1
        except NotImplementedError:  # a year the calendar does not know: the platform promises no date
            return None
        return day.isoformat()

    def handling_org(self, region: str, items: Sequence[str] = ()) -> str:
        """The office's name, as the real platform answers it: the departments of the items when this county
        handles them (the kiosk named them to the resident before submitting), else the simulated world's offices,
        else the county named from the national division table (python-stdnum cn/loc) — never the bare code."""
        named = [self.departments[i] for i in items if i in self.departments and i.startswith(region)]
        if named and len(named) == len(items):
            return "、".join(dict.fromkeys(named))
        if region in self.regions:
            return self.regions[region]
        try:
            from stdnum import numdb

            info = numdb.get("cn/loc").info(region)
        except (ImportError, OSError):
            info = []
        if len(info) > 1 and info[1][1].get("county"):
            province = info[0][1].get("province", "")
            county = re.sub(r"\[[^\]]*\]", "", info[1][1]["county"]).strip()
            return (county if county.startswith(province) else province + county) + "政务服务中心"
        return "县级政务服务中心"  # a code no table knows: a generic name, still not a number


def _mask_name(name: str) -> str:
    if len(name) <= 1:
        return name
    return name[0] + "*" * (len(name) - 2) + name[-1] if len(name) > 2 else name[0] + "*"


def _mask_id(number: str) -> str:
    return number[:6] + "*" * max(0, len(number) - 10) + number[-4:] if len(number) > 10 else "*" * len(number)


def progress_page(progress: dict[str, Any] | None, body: dict[str, Any] | None, asked: str | None) -> str:
    """The public progress page (HTML, Chinese, large type for a phone)."""
    esc = html.escape
    parts = ['<!doctype html><html lang="zh-CN"><head><meta charset="utf-8">',
             '<meta name="viewport" content="width=device-width, initial-scale=1">',
             "<title>办理进度查询</title><style>body{font-size:20px;line-height:1.6;margin:1em}"
             "li{margin:.4em 0}</style></head><body><h1>办理进度查询</h1>"]  # fmt: skip
    if progress is None or body is None:
        parts.append(f"<p>未查询到编号为 {esc(asked or '')} 的申请。申请若刚提交，可能仍在送达途中，请稍后再查。</p>")
    else:
        applicant = body.get("applicant") or {}
        status = PAGE_STATUS.get(progress["status"], progress["status"])
        parts += [f"<p>申请编号：{esc(progress['application_no'])}</p>",
                  f"<p>申请人：{esc(_mask_name(str(applicant.get('name', ''))))}　"
                  f"{esc(_mask_id(str(applicant.get('id_number', ''))))}</p>",
                  f"<p>办理机构：{esc(progress['handling_org'])}</p>",
                  f"<p><strong>办理状态：{esc(status)}</strong></p>"]  # fmt: skip
        if progress["promised_by"]:
            parts.append(f"<p>承诺办结：{esc(progress['promised_by'])}前</p>")
        for change in progress.get("promise_changes", []):
            parts.append(f"<p>承诺日期由 {esc(change['from'] or '—')} 调整为 {esc(change['to'])}："
                         f"{esc(change['reason'])}</p>")  # fmt: skip
        parts.append("<ol>")
        for entry in progress["history"]:
            label = PAGE_STATUS.get(entry["status"], entry["status"])
            parts.append(f"<li>{esc(entry['at'][:16].replace('T', ' '))}　{esc(label)}　{esc(entry['note'])}</li>")
        parts.append("</ol>")
    parts.append("</body></html>")
    return "".join(parts)


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True

    def __init__(self, address: tuple[str, int], handler: type, sim: PlatformSimulator) -> None:
        self.sim = sim
        super().__init__(address, handler)


class _Drop(Exception):
    """Close the connection without answering."""


def _route(method: str, path: str) -> tuple[str, str, dict[str, str]]:
    """(endpoint for faults, handler name, path parameters); raises Reject for unknown paths."""
    parts = [unquote(p) for p in path.strip("/").split("/")]
    table: list[tuple[str, list[str], str, str]] = [
        ("POST", ["v1", "identity", "verifications"], "identity", "verify"),
        ("GET", ["v1", "certificates"], "certificates", "certificates"),
        ("POST", ["v1", "files"], "files", "upload"),
        ("POST", ["v1", "applications"], "applications", "submit"),
        ("GET", ["v1", "applications"], "progress", "search"),
        ("GET", ["v1", "applications", "{application_no}"], "progress", "progress"),
        ("POST", ["v1", "evaluations"], "evaluations", "evaluate"),
        ("POST", ["v1", "kiosks", "{kiosk_id}", "heartbeat"], "heartbeat", "heartbeat"),
    ]
    path_known = False
    for want_method, pattern, endpoint, name in table:
        if len(pattern) != len(parts):
            continue
        params: dict[str, str] = {}
        for want, got in zip(pattern, parts, strict=True):
            if want.startswith("{"):
                if not got:
                    break
                params[want[1:-1]] = got
            elif want != got:
                break
        else:
            path_known = True
            if want_method == method:
                return endpoint, name, params
    if path_known:
        raise Reject(405, "method_not_allowed", f"{method} is not allowed here")
    raise Reject(404, "not_found", "no such endpoint")


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True  # headers and body are separate writes: Nagle + delayed ACK cost 40 ms each
    server: _Server

    def log_message(self, format: str, *args: Any) -> None:
        log.debug("%s %s", self.address_string(), format % args)

    def do_GET(self) -> None:
        self._dispatch("GET")

    def do_POST(self) -> None:
        self._dispatch("POST")

    def do_PUT(self) -> None:
        self._dispatch("PUT")

    def do_DELETE(self) -> None:
        self._dispatch("DELETE")

    # -- plumbing ----------------------------------------------------------------------------------------

    def _dispatch(self, method: str) -> None:
        sim = self.server.sim
        url = urlsplit(self.path)
        endpoint = ""
        if method == "GET" and url.path == PROGRESS_PAGE:
            self._progress_page(parse_qs(url.query))
            return
        try:
            body = self._read_body()
            endpoint, name, params = _route(method, url.path)
            sim.count(f"requests.{endpoint}")
            fault, failure = sim.faults.draw(endpoint)
            if fault.latency:
                time.sleep(fault.latency)
            if failure == "drop_before":
                raise _Drop
            if failure == "throttle":
                raise Reject(429, "too_many_requests", "slow down", None)
            if failure == "error":
                raise Reject(fault.error_status, "injected_fault", "simulated platform failure")
            self._authorise()
            status, answer = getattr(self, f"_{name}")(params, parse_qs(url.query), body)
            if failure == "drop_after":
                raise _Drop
            self._send(status, answer)
        except _Drop:
            sim.count(f"fault.drop.{method}")
            self.close_connection = True
        except Reject as reject:
            if reject.code == "injected_fault" or reject.status == 429:
                sim.count(f"fault.{reject.status}")
            headers = {}
            if reject.status in (429, 503):
                headers["Retry-After"] = str(sim.faults.get(endpoint).retry_after if endpoint else 1)
            self._send(reject.status, reject.body(), headers)

    def _read_body(self) -> bytes:
        raw_length = self.headers.get("Content-Length")
        if raw_length is None:
            if self.headers.get("Transfer-Encoding"):
                self.close_connection = True
                raise Reject(411, "length_required", "send Content-Length")
            return b""
        try:
            length = int(raw_length)
        except ValueError:
            self.close_connection = True
            raise Reject(400, "bad_request", "bad Content-Length") from None
        if length > MAX_FILE:
            self.close_connection = True  # the rest of the body is never read
            raise Reject(413, "too_large", f"at most {MAX_FILE} bytes")
        return self.rfile.read(length)

    def _authorise(self) -> None:
        sim = self.server.sim
        auth = self.headers.get("Authorization", "")
        scheme, _, token = auth.partition(" ")
        if scheme.lower() != "bearer" or not secrets.compare_digest(token.encode(), sim.token.encode()):
            raise Reject(401, "unauthorized", "bad or missing device token")
        if not self.headers.get("X-Kiosk-Id"):
            raise Reject(401, "unauthorized", "missing X-Kiosk-Id")

    def _progress_page(self, query: dict[str, list[str]]) -> None:
        """The page a receipt's QR opens on the resident's phone: status, history and promised date, with the
        applicant's name and ID number masked (the number alone is no proof of identity)."""
        sim = self.server.sim
        number, reference = (query.get("no") or [""])[0], (query.get("ref") or [""])[0]
        row = None
        if number:
            row = sim.store.one("SELECT * FROM applications WHERE application_no=?", (number,))
        if row is None and reference:
            # references carry the kiosk's id and outbox instance: unique without the kiosk's header
            row = sim.store.one("SELECT * FROM applications WHERE client_reference=? ORDER BY seq", (reference,))
        if row is None:
            status, page = 404, progress_page(None, None, reference or number)
        else:
            status, page = 200, progress_page(sim.progress_of(row), json.loads(row["body"]), None)
        data = page.encode()
        self.send_response(status)
        self.send_header("Content-Type", "text/html; charset=utf-8")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def _send(self, status: int, answer: dict[str, Any] | None, headers: dict[str, str] | None = None) -> None:
        self.send_response(status)
        for key, value in (headers or {}).items():
            self.send_header(key, value)
        if status == 204 or answer is None:
            self.send_header("Content-Length", "0")
            self.end_headers()
            return
        data = json.dumps(answer, ensure_ascii=False).encode()
        self.send_header("Content-Type", "application/json; charset=utf-8")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    @property
    def kiosk_id(self) -> str:
        return self.headers.get("X-Kiosk-Id", "")

    def _json(self, body: bytes) -> dict[str, Any]:
        if len(body) > MAX_JSON:
            raise Reject(413, "too_large", f"JSON bodies are at most {MAX_JSON} bytes")
        ctype = self.headers.get("Content-Type", "").split(";")[0].strip().lower()
        if ctype != "application/json":
            raise Reject(415, "unsupported_media_type", "send application/json")
        try:
            value = json.loads(body.decode("utf-8"))
        except (UnicodeDecodeError, json.JSONDecodeError):
            raise Reject(400, "bad_json", "the body is not UTF-8 JSON") from None
        if not isinstance(value, dict):
            raise Reject(400, "bad_json", "the body must be a JSON object")
        return value

    def _idempotent(self, body_hash: str, create: Any, *, required: bool = True) -> tuple[int, dict[str, Any]]:
        """Run ``create(db)`` once per Idempotency-Key; a repeat replays its answer with 200."""
        sim = self.server.sim
        key = self.headers.get("Idempotency-Key", "").strip()
        if not key:
            if required:
                raise Reject(422, "validation_failed", "Idempotency-Key is required", {"Idempotency-Key": "required"})
            with sim.store.transaction() as db:
                return create(db)
        if len(key) > 128:
            raise Reject(422, "validation_failed", "Idempotency-Key too long", {"Idempotency-Key": "at most 128"})
        with sim.store.transaction() as db:
            seen = sim.store.remembered(self.kiosk_id, key)
            if seen is not None:
                if seen["body_hash"] != body_hash:
                    sim.count("idempotency.conflict")
                    raise Reject(409, "idempotency_key_reused", "this Idempotency-Key was used with another body")
                sim.count("idempotency.replay")
                return 200, json.loads(seen["answer"])
            status, answer = create(db)
            Store.remember(db, self.kiosk_id, key, body_hash, status, answer, sim.now())
            return status, answer

    @staticmethod
    def _hash_json(value: dict[str, Any], path: str) -> str:
        return hashlib.sha256((path + json.dumps(value, sort_keys=True, ensure_ascii=False)).encode()).hexdigest()

    def _verification(self) -> Any:
        sim = self.server.sim
        token = self.headers.get("X-Verification-Token", "")
        row = sim.store.one("SELECT * FROM verifications WHERE token=?", (token,)) if token else None
        if row is None:
            raise Reject(422, "verification_invalid", "unknown verification token", {"X-Verification-Token": "unknown"})
        if row["expires_at"] < sim.now():
            raise Reject(422, "verification_expired", "verify the person again", {"X-Verification-Token": "expired"})
        return row

    # -- endpoints ---------------------------------------------------------------------------------------

    def _verify(self, _params: dict, _query: dict, raw: bytes) -> tuple[int, dict[str, Any]]:
        sim = self.server.sim
        body = self._json(raw)
        errors = validate.Errors()
        method = errors.need_enum(body, "method", "method", validate.METHODS)
        qr = method in ("eid_qr", "essc_qr")
        if qr:
            errors.need_str(body, "qr_payload", "qr_payload", max_len=2048)
        elif method:
            errors.need_enum(body, "id_type", "id_type", validate.ID_TYPES)
            errors.need_str(body, "id_number", "id_number", max_len=32)
            errors.need_str(body, "name", "name", max_len=100)
        validate.face_jpeg(errors, body.get("face_jpeg_b64"))
        if errors:
            raise Reject(422, "validation_failed", "invalid verification request", errors)

        def create(db: Any) -> tuple[int, dict[str, Any]]:
            outcome = self._check_person(body, qr)
            if isinstance(outcome, str):
                sim.count("identity.refused")
                return 200, {"verified": False, "reason": outcome}
            resident = outcome
            verification_id, token = "V" + uuid.uuid4().hex, secrets.token_urlsafe(24)
            db.execute(
                "INSERT INTO verifications VALUES (?,?,?,?,?,?)",
                (
                    verification_id,
                    token,
                    resident["id_number"],
                    resident["name"],
                    self.kiosk_id,
                    sim.now() + VERIFICATION_TTL,
                ),
            )
            subject = {"id_number": resident["id_number"], "name": resident["name"]}
            return 200, {
                "verified": True,
                "verification_id": verification_id,
                "token": token,
                "expires_in": VERIFICATION_TTL,
                "subject": subject,
            }

        return self._idempotent(self._hash_json(body, "verify"), create, required=False)

    def _check_person(self, body: dict[str, Any], qr: bool) -> dict[str, Any] | str:
        """The resident, or the reason the check failed."""
        sim = self.server.sim
        if qr:
            parts = body["qr_payload"].split("|")
            if len(parts) != 3 or parts[0] != QR_MARKERS[body["method"]] or not parts[2].isdigit():
                return "qr_invalid"
            if int(parts[2]) < sim.now():
                return "qr_expired"
            resident = sim.residents.get(parts[1])
            if resident is None:
                return "no_record"
        else:
            resident = sim.residents.get(body["id_number"].upper())
            if resident is None:
                return "no_record"
            if resident["name"] != body["name"].strip():
                return "name_mismatch"
            if resident.get("card_status") == "invalid":
                return "card_invalid"
        if body.get("face_jpeg_b64") is not None and resident.get("face_matches", True) is False:
            return "face_mismatch"
        return resident

    def _certificates(self, _params: dict, _query: dict, _raw: bytes) -> tuple[int, dict[str, Any]]:
        row = self._verification()
        resident = self.server.sim.residents.get(row["id_number"], {})
        return 200, {"certificates": list(resident.get("certificates", []))}

    def _upload(self, _params: dict, _query: dict, raw: bytes) -> tuple[int, dict[str, Any]]:
        sim = self.server.sim
        ctype = self.headers.get("Content-Type", "").split(";")[0].strip().lower()
        if ctype not in FILE_TYPES:
            raise Reject(415, "unsupported_media_type", f"one of {', '.join(FILE_TYPES)}")
        if not raw:
            raise Reject(422, "validation_failed", "empty file", {"body": "empty"})
        if not validate.content_matches(ctype, raw):
            raise Reject(422, "validation_failed", "content does not match its type", {"body": f"not {ctype}"})
        digest = hashlib.sha256(raw).hexdigest()

        def create(db: Any) -> tuple[int, dict[str, Any]]:
            file_id = "F" + uuid.uuid4().hex
            db.execute(
                "INSERT INTO files VALUES (?,?,?,?,?,?)", (file_id, self.kiosk_id, digest, len(raw), ctype, sim.now())
            )
            return 201, {"file_id": file_id, "sha256": digest, "size": len(raw), "content_type": ctype}

        return self._idempotent(hashlib.sha256(f"files:{ctype}:{digest}".encode()).hexdigest(), create)

    def _submit(self, _params: dict, _query: dict, raw: bytes) -> tuple[int, dict[str, Any]]:
        sim = self.server.sim
        body = self._json(raw)
        errors = validate.Errors()
        if body.get("kiosk_id") != self.kiosk_id:
            errors["kiosk_id"] = "must equal X-Kiosk-Id"
        errors.need_str(body, "client_reference", "client_reference", max_len=64)
        validate.timestamp(errors, body.get("submitted_at"), "submitted_at")
        errors.need_str(body, "verification_id", "verification_id", max_len=64)
        items = body.get("items")
        if not (isinstance(items, list) and items and all(isinstance(i, str) and i for i in items)):
            errors["items"] = "a non-empty list of implementation codes"
            items = []
        bundle = body.get("bundle")
        if bundle is not None and not (isinstance(bundle, str) and bundle):
            errors["bundle"] = "a bundle code or null"
        applicant_number = validate.person(errors, body.get("applicant"), "applicant")
        if body.get("agent") is not None:
            validate.person(errors, body.get("agent"), "agent")
        materials = body.get("materials")
        if not isinstance(materials, list):
            errors["materials"] = "a list"
            materials = []
        if not isinstance(body.get("form"), dict):
            errors["form"] = "an object"
        validate.region_code(errors, body.get("handling_region_code"), "handling_region_code")
        if errors:
            raise Reject(422, "validation_failed", "invalid application", errors)

        def create(db: Any) -> tuple[int, dict[str, Any]]:
            self._check_references(db, body, materials, errors)
            if errors:
                raise Reject(422, "validation_failed", "invalid application", errors)
            taken = db.execute(
                "SELECT 1 FROM applications WHERE kiosk_id=? AND client_reference=?",
                (self.kiosk_id, body["client_reference"]),
            ).fetchone()
            if taken:
                sim.count("applications.duplicate_reference")
                raise Reject(409, "duplicate_client_reference", "this kiosk already submitted this client_reference")
            accepted = sim.now()
            seq = db.execute("SELECT COALESCE(MAX(seq), 0) + 1 FROM applications").fetchone()[0]
            number = f"TB{dt.datetime.fromtimestamp(accepted, TZ):%Y%m%d}{seq:07d}"
            org = sim.handling_org(body["handling_region_code"], items)
            promised = sim.promised_date(items, accepted)
            db.execute(
                "INSERT INTO applications (application_no, kiosk_id, client_reference, id_number, accepted_at, "
                "handling_org, promised_by, body) VALUES (?,?,?,?,?,?,?,?)",
                (
                    number,
                    self.kiosk_id,
                    body["client_reference"],
                    applicant_number.upper(),
                    accepted,
                    org,
                    promised,
                    json.dumps(body, ensure_ascii=False),
                ),
            )
            return 201, {
                "application_no": number,
                "status": "accepted",
                "accepted_at": _iso(accepted),
                "handling_org": org,
                "promised_by": promised,
            }

        return self._idempotent(self._hash_json(body, "applications"), create)

    def _check_references(self, db: Any, body: dict[str, Any], materials: list[Any], errors: validate.Errors) -> None:
        if not db.execute("SELECT 1 FROM verifications WHERE verification_id=?", (body["verification_id"],)).fetchone():
            errors["verification_id"] = "unknown"
        for index, material in enumerate(materials):
            where = f"materials[{index}]"
            if not isinstance(material, dict):
                errors[where] = "an object"
                continue
            errors.need_str(material, "code", f"{where}.code", max_len=64)
            kind = errors.need_enum(material, "provided_as", f"{where}.provided_as", tuple(validate.PROVIDED_AS))
            ref = validate.PROVIDED_AS.get(kind)
            if not ref:
                continue
            value = errors.need_str(material, ref, f"{where}.{ref}", max_len=64)
            if (
                value
                and ref.endswith("file_id")
                and not db.execute("SELECT 1 FROM files WHERE file_id=?", (value,)).fetchone()
            ):
                errors[f"{where}.{ref}"] = "unknown file"

    def _progress(self, params: dict, _query: dict, _raw: bytes) -> tuple[int, dict[str, Any]]:
        sim = self.server.sim
        row = sim.store.one("SELECT * FROM applications WHERE application_no=?", (params["application_no"],))
        if row is None:
            raise Reject(404, "not_found", "no such application")
        return 200, sim.progress_of(row)

    def _search(self, _params: dict, query: dict, _raw: bytes) -> tuple[int, dict[str, Any]]:
        sim = self.server.sim
        if "client_reference" in query:
            row = sim.store.one(
                "SELECT * FROM applications WHERE kiosk_id=? AND client_reference=?",
                (self.kiosk_id, query["client_reference"][0]),
            )
            if row is None:
                raise Reject(404, "not_found", "nothing delivered under this client_reference")
            return 200, sim.progress_of(row)
        if "id_number" in query:
            number = query["id_number"][0].upper()
            verification = self._verification()
            if verification["id_number"] != number:
                raise Reject(
                    422,
                    "verification_mismatch",
                    "the token is another person's",
                    {"id_number": "does not match the verified person"},
                )
            rows = sim.store.query("SELECT * FROM applications WHERE id_number=? ORDER BY seq DESC", (number,))
            return 200, {"applications": [sim.progress_of(r) for r in rows]}
        raise Reject(
            422, "validation_failed", "give id_number or client_reference", {"query": "id_number or client_reference"}
        )

    def _evaluate(self, _params: dict, _query: dict, raw: bytes) -> tuple[int, dict[str, Any]]:
        sim = self.server.sim
        body = self._json(raw)
        errors = validate.Errors()
        service = body.get("service", "application")
        number = ""
        if service not in EVALUATED_SERVICES:
            errors["service"] = f"one of {', '.join(EVALUATED_SERVICES)}"
        elif service == "application":
            number = errors.need_str(body, "application_no", "application_no", max_len=64)
        else:
            if service == "guide":
                errors.need_str(body, "item_code", "item_code", max_len=64)
            if body.get("application_no") is not None:
                errors.need_str(body, "application_no", "application_no", max_len=64)
        level = body.get("level")
        if not (isinstance(level, int) and not isinstance(level, bool) and 1 <= level <= 5):
            errors["level"] = "an integer 1..5"
            level = 0
        reasons = body.get("reasons", [])
        if not (isinstance(reasons, list) and all(isinstance(r, str) and r for r in reasons)):
            errors["reasons"] = "a list of strings"
        elif 1 <= level <= 2 and not reasons:
            errors["reasons"] = "required for levels 1 and 2"
        elif any(r not in EVALUATION_REASONS for r in reasons):
            errors["reasons"] = f"reason codes: {', '.join(EVALUATION_REASONS)}"
        comment = body.get("comment")
        if comment is not None and not (isinstance(comment, str) and len(comment) <= 500):
            errors["comment"] = "a string of at most 500 characters"
        if errors:
            raise Reject(422, "validation_failed", "invalid evaluation", errors)

        def create(db: Any) -> tuple[int, dict[str, Any]]:
            if service != "application":
                evaluation_id = "E" + uuid.uuid4().hex
                db.execute(
                    "INSERT INTO service_evaluations VALUES (?,?,?,?,?,?)",
                    (evaluation_id, service, self.kiosk_id, level, json.dumps(body, ensure_ascii=False), sim.now()),
                )
                return 201, {"evaluation_id": evaluation_id}
            if not db.execute("SELECT 1 FROM applications WHERE application_no=?", (number,)).fetchone():
                raise Reject(422, "validation_failed", "unknown application", {"application_no": "unknown"})
            if db.execute("SELECT 1 FROM evaluations WHERE application_no=?", (number,)).fetchone():
                raise Reject(409, "already_evaluated", "this application has been evaluated")
            evaluation_id = "E" + uuid.uuid4().hex
            db.execute(
                "INSERT INTO evaluations VALUES (?,?,?,?,?,?)",
                (evaluation_id, number, self.kiosk_id, level, json.dumps(body, ensure_ascii=False), sim.now()),
            )
            return 201, {"evaluation_id": evaluation_id}

        return self._idempotent(self._hash_json(body, "evaluations"), create)

    def _heartbeat(self, params: dict, _query: dict, raw: bytes) -> tuple[int, dict[str, Any] | None]:
        sim = self.server.sim
        if params["kiosk_id"] != self.kiosk_id:
            raise Reject(403, "forbidden", "a kiosk reports only for itself")
        body = self._json(raw)
        errors = validate.Errors(required_errors(body))
        validate.heartbeat_health(errors, body)
        if errors:
            raise Reject(422, "validation_failed", "invalid heartbeat", errors)
        with sim.store.transaction() as db:
            db.execute(
                "INSERT INTO heartbeats VALUES (?,?,?)",
                (self.kiosk_id, sim.now(), json.dumps(body, ensure_ascii=False)),
            )
        return 204, None
