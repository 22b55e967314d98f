"""The console's HTTP side (Starlette under uvicorn): kiosk heartbeat ingest, pages and the JSON API.

- ``POST /v1/kiosks/{kiosk_id}/heartbeat``: the platform's contract (docs/platform-api.yaml): bearer token of that
  kiosk, ``X-Kiosk-Id`` equal to the path (403 otherwise), JSON ≤ 1 MiB, 422 with ``fields``, 204 once stored,
  503 + ``Retry-After`` when the database cannot keep up.
- Pages (server-rendered, Jinja2, no script): ``/`` overview, ``/kiosks/{id}``, ``/rollouts``, ``/alerts``;
  JSON beside each: ``/api/kiosks``, ``/api/kiosks/{id}``, ``/api/rollouts``, ``/api/alerts``.
- Operators log in (``/login``); the session cookie is HttpOnly, SameSite=Strict; every form carries the
  session's CSRF token (``X-CSRF-Token`` header for the JSON API). Viewers read; operators also acknowledge
  alerts and stop rollouts. Without a session a page redirects to the login and the API answers 401.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import itertools
import json
import logging
import re
import secrets
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any
from urllib.parse import quote, unquote, urlencode

import jinja2
from starlette.applications import Starlette
from starlette.datastructures import Headers
from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, RedirectResponse, Response
from starlette.routing import Route
from starlette.types import Receive, Scope, Send

from kiosk.console import heartbeat, i18n
from kiosk.console.alerts import RULES
from kiosk.console.auth import Accounts
from kiosk.console.ingest import Busy, Ingest
from kiosk.console.rollouts import rollouts
from kiosk.console.store import Store

log = logging.getLogger(__name__)

SESSION_COOKIE = "tb_session"
LOGIN_COOKIE = "tb_login"
LANG_COOKIE = "tb_lang"
SESSION_S = 12 * 3600
PAGE_ROWS = 2000  # the overview's table; the JSON API returns every kiosk
STATES = ("ok", "attention", "out_of_service", "silent", "never_seen")
STATE_LABELS = {
    "ok": "Normal",
    "attention": "Needs attention",
    "out_of_service": "Out of service",
    "silent": "Silent",
    "never_seen": "Never reported",
}
DEVICE_LABELS = {
    "idcard": "ID-card reader",
    "sscard": "Social security card reader",
    "printer": "Receipt printer",
    "camera": "Camera",
}
DEVICE_STATES = {  # drivers.contract.DeviceState
    "online": "online",
    "offline": "offline",
    "no_device": "not connected",
    "hardware_error": "hardware fault",
    "user_error": "needs staff",
    "busy": "busy",
}
HEADERS = {
    "Content-Security-Policy": "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'; "
    "frame-ancestors 'none'; base-uri 'none'",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "Cache-Control": "no-store",
}
TZ = dt.timezone(dt.timedelta(hours=8))
_NO_CONTENT = Response(status_code=204)


def _error(status: int, code: str, message: str, fields: dict[str, str] | None = None, **headers: str) -> Response:
    error: dict[str, Any] = {"code": code, "message": message}
    if fields:
        error["fields"] = fields
    return JSONResponse({"error": error}, status, headers={k.replace("_", "-"): v for k, v in headers.items()})


class Console:
    """The application: ``Console(store, ingest).app`` is the ASGI app."""

    def __init__(self, store: Store, ingest: Ingest, *, repo: Path | None = None, secure_cookies: bool = False) -> None:
        self.store, self.ingest, self.repo = store, ingest, repo
        self.accounts = Accounts(store)
        self.secure_cookies = secure_cookies
        self.templates = jinja2.Environment(
            loader=jinja2.PackageLoader("kiosk.console", "templates"),
            autoescape=True,
        )
        self.templates.filters["time"] = _time
        page, api = self._page, self._api
        self.pages = Starlette(
            routes=[
                Route("/login", self.login_form, methods=["GET"]),
                Route("/login", self.login, methods=["POST"]),
                Route("/logout", self.logout, methods=["POST"]),
                Route("/", page(self.overview)),
                Route("/kiosks/{kiosk_id}", page(self.kiosk_page)),
                Route("/rollouts", page(self.rollouts_page)),
                Route("/rollouts/stop", page(self.stop_rollout, operator=True), methods=["POST"]),
                Route("/alerts", page(self.alerts_page)),
                Route("/alerts/{alert_id:int}/ack", page(self.ack, operator=True), methods=["POST"]),
                Route("/api/kiosks", api(self.api_kiosks)),
                Route("/api/kiosks/{kiosk_id}", api(self.api_kiosk)),
                Route("/api/rollouts", api(self.api_rollouts)),
                Route("/api/alerts", api(self.api_alerts)),
                Route("/api/alerts/{alert_id:int}/ack", api(self.api_ack, operator=True), methods=["POST"]),
            ],
            lifespan=self._lifespan,
        )

    @asynccontextmanager
    async def _lifespan(self, _app: Starlette) -> AsyncIterator[None]:
        yield

    async def app(self, scope: Scope, receive: Receive, send: Send) -> None:
        """The ASGI app: heartbeats straight to their handler (the hot path), everything else to Starlette."""
        path = scope.get("path", "")
        if scope["type"] == "http" and path.startswith("/v1/kiosks/") and path.endswith("/heartbeat"):
            parts = path.split("/")
            if len(parts) == 5 and parts[3] and scope["method"] == "POST":
                answer = await self.heartbeat(unquote(parts[3]), Headers(scope=scope), receive)
                await answer(scope, receive, send)
                return
        await self.pages(scope, receive, send)

    # -- kiosks --------------------------------------------------------------------------------------
    async def heartbeat(self, kiosk_id: str, headers: Headers, receive: Receive) -> Response:
        scheme, _, token = headers.get("authorization", "").partition(" ")
        header_id = headers.get("x-kiosk-id", "")
        if scheme.lower() != "bearer" or not header_id or not self.store.check_kiosk_token(header_id, token):
            return _error(401, "unauthorized", "bad or missing device token")
        if kiosk_id != header_id:
            return _error(403, "forbidden", "a kiosk reports only for itself")
        length = headers.get("content-length")
        if length is not None and length.isdigit() and int(length) > heartbeat.MAX_BODY:
            return _error(413, "too_large", f"JSON bodies are at most {heartbeat.MAX_BODY} bytes")
        if headers.get("content-type", "").split(";")[0].strip().lower() != "application/json":
            return _error(415, "unsupported_media_type", "send application/json")
        chunks: list[bytes] = []
        size = 0
        while True:
            message = await receive()
            chunk = message.get("body", b"")
            size += len(chunk)
            if size > heartbeat.MAX_BODY:
                return _error(413, "too_large", f"JSON bodies are at most {heartbeat.MAX_BODY} bytes")
            chunks.append(chunk)
            if not message.get("more_body"):
                break
        try:
            text = b"".join(chunks).decode("utf-8")
            body = json.loads(text)
        except (UnicodeDecodeError, ValueError):
            return _error(400, "bad_json", "the body is not UTF-8 JSON")
        if not isinstance(body, dict):
            return _error(400, "bad_json", "the body must be a JSON object")
        errors = heartbeat.validate(body)
        if errors:
            return _error(422, "validation_failed", "invalid heartbeat", errors)
        try:
            await self.ingest.take(kiosk_id, body, text)  # stored as sent
        except Busy:
            return _error(503, "busy", "the console is catching up; retry later", Retry_After="5")
        except Exception:
            return _error(503, "unavailable", "heartbeat not stored; retry later", Retry_After="10")
        return _NO_CONTENT

    # -- access --------------------------------------------------------------------------------------
    def _operator(self, request: Request) -> dict[str, Any] | None:
        cookie = request.cookies.get(SESSION_COOKIE)
        return self.store.session(cookie) if cookie else None

    def _page(
        self, handler: Callable[[Request, dict[str, Any]], Awaitable[Response]], operator: bool = False
    ) -> Callable[[Request], Awaitable[Response]]:
        async def endpoint(request: Request) -> Response:
            who = await asyncio.to_thread(self._operator, request)
            if who is None:
                target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
                return RedirectResponse(f"/login?next={quote(target)}", 303)
            if request.method == "POST":
                form = await request.form()
                if not secrets.compare_digest(str(form.get("csrf", "")), who["csrf"]):
                    return self._render(
                        request, "message.html", who, status=403, message="The form expired; go back and try again."
                    )
                if operator and who["role"] != "operator":
                    return self._render(request, "message.html", who, status=403, message="Only operators may do this.")
            return _secure(await handler(request, who))

        return endpoint

    def _api(
        self, handler: Callable[[Request, dict[str, Any]], Awaitable[Any]], operator: bool = False
    ) -> Callable[[Request], Awaitable[Response]]:
        async def endpoint(request: Request) -> Response:
            who = await asyncio.to_thread(self._operator, request)
            if who is None:
                return _error(401, "unauthorized", "log in first")
            if request.method == "POST":
                if not secrets.compare_digest(request.headers.get("x-csrf-token", ""), who["csrf"]):
                    return _error(403, "csrf", "missing or wrong X-CSRF-Token")
                if operator and who["role"] != "operator":
                    return _error(403, "forbidden", "operators only")
            result = await handler(request, who)
            if isinstance(result, Response):
                return _secure(result)
            return _secure(JSONResponse(result))

        return endpoint

    async def login_form(self, request: Request, failed: bool = False, locked: float = 0.0) -> Response:
        nonce = secrets.token_urlsafe(24)
        answer = self._render(
            request, "login.html", None, status=401 if failed else 200, failed=failed, locked=int(locked),
            nonce=nonce, next=_safe_next(request.query_params.get("next", "/")),
        )  # fmt: skip
        answer.set_cookie(LOGIN_COOKIE, nonce, httponly=True, samesite="strict", secure=self.secure_cookies)
        return _secure(answer)

    async def login(self, request: Request) -> Response:
        form = await request.form()
        nonce = request.cookies.get(LOGIN_COOKIE, "")
        if not nonce or not secrets.compare_digest(str(form.get("csrf", "")), nonce):
            return await self.login_form(request, failed=True)
        name, password = str(form.get("name", "")).strip(), str(form.get("password", ""))
        who = await asyncio.to_thread(self.accounts.check, name, password)
        if who is None:
            log.warning("console login refused for %r", name[:64])
            return await self.login_form(request, failed=True, locked=self.accounts.locked_for(name))
        cookie, _csrf = await asyncio.to_thread(self.store.new_session, who["name"], SESSION_S)
        log.info("console login: %s (%s)", who["name"], who["role"])
        answer = RedirectResponse(_safe_next(str(form.get("next", "/"))), 303)
        answer.set_cookie(
            SESSION_COOKIE, cookie, max_age=SESSION_S, httponly=True, samesite="strict", secure=self.secure_cookies
        )
        answer.delete_cookie(LOGIN_COOKIE)
        return _secure(answer)

    async def logout(self, request: Request) -> Response:
        who = await asyncio.to_thread(self._operator, request)
        form = await request.form()
        cookie = request.cookies.get(SESSION_COOKIE, "")
        if who is not None and secrets.compare_digest(str(form.get("csrf", "")), who["csrf"]):
            await asyncio.to_thread(self.store.end_session, cookie)
        answer = RedirectResponse("/login", 303)
        answer.delete_cookie(SESSION_COOKIE)
        return _secure(answer)

    # -- rendering -----------------------------------------------------------------------------------
    def _lang(self, request: Request) -> str:
        lang = request.query_params.get("lang") or request.cookies.get(LANG_COOKIE) or "zh_CN"
        return lang if lang in i18n.LANGUAGES else "zh_CN"

    def _render(
        self, request: Request, template: str, who: dict[str, Any] | None, status: int = 200, **context: Any
    ) -> HTMLResponse:
        lang = self._lang(request)
        gettext = i18n.translations(lang).gettext
        other = "en" if lang == "zh_CN" else "zh_CN"
        query = {k: v for k, v in request.query_params.items() if k != "lang"}
        html = self.templates.get_template(template).render(
            _=gettext, lang=lang, who=who, path=request.url.path, rules=RULES, state_labels=STATE_LABELS,
            device=lambda name: gettext(DEVICE_LABELS[name]) if name in DEVICE_LABELS else name,
            detail=lambda text: _device_words(text, gettext),
            device_state=lambda state: gettext(DEVICE_STATES[state]) if state in DEVICE_STATES else state,
            other_lang=other, other_lang_url=f"{request.url.path}?{urlencode({**query, 'lang': other})}",
            **context,
        )  # fmt: skip
        answer = HTMLResponse(html, status)
        if request.query_params.get("lang") in i18n.LANGUAGES:
            answer.set_cookie(LANG_COOKIE, lang, max_age=365 * 86400, samesite="strict", secure=self.secure_cookies)
        return answer

    # -- pages and their JSON ------------------------------------------------------------------------
    def _filtered(self, request: Request) -> tuple[list[dict[str, Any]], dict[str, str], list[dict[str, Any]]]:
        every = self.store.kiosks()
        chosen = {k: request.query_params.get(k, "") for k in ("group", "site", "state", "config_version")}
        rows = [
            k
            for k in every
            if (not chosen["group"] or k["grp"] == chosen["group"])
            and (not chosen["site"] or k["site"] == chosen["site"])
            and (not chosen["state"] or k["state"] == chosen["state"])
            and (not chosen["config_version"] or k["config_version"] == chosen["config_version"])
        ]
        return rows, chosen, every

    async def overview(self, request: Request, who: dict[str, Any]) -> Response:
        rows, chosen, every = await asyncio.to_thread(self._filtered, request)
        counts = {s: sum(1 for k in every if k["state"] == s) for s in STATES}
        options = {
            "group": sorted({k["grp"] for k in every}),
            "site": sorted({k["site"] for k in every if k["site"]}),
            "state": list(STATES),
            "config_version": sorted({k["config_version"] for k in every if k["config_version"]}),
        }
        return self._render(
            request, "overview.html", who, kiosks=rows[:PAGE_ROWS], total=len(rows), counts=counts, chosen=chosen,
            options=options,
        )  # fmt: skip

    async def api_kiosks(self, request: Request, _who: dict[str, Any]) -> Any:
        rows, _chosen, every = await asyncio.to_thread(self._filtered, request)
        return {
            "counts": {s: sum(1 for k in every if k["state"] == s) for s in STATES},
            "kiosks": [_kiosk_json(k) for k in rows],
        }

    async def kiosk_page(self, request: Request, who: dict[str, Any]) -> Response:
        kiosk = await asyncio.to_thread(self.store.kiosk, request.path_params["kiosk_id"], 500)
        if kiosk is None:
            return self._render(request, "message.html", who, status=404, message="No such kiosk.")
        kiosk["history"] = _changes(kiosk["history"])[:50]
        devices = sorted({name for beat in kiosk["history"] for name in beat.get("devices", {})})
        seen = heartbeat.facts(kiosk["last"]) if kiosk["last"] else None
        return self._render(request, "kiosk.html", who, kiosk=kiosk, devices=devices, seen=seen)

    async def api_kiosk(self, request: Request, _who: dict[str, Any]) -> Any:
        kiosk = await asyncio.to_thread(self.store.kiosk, request.path_params["kiosk_id"])
        if kiosk is None:
            return _error(404, "not_found", "no such kiosk")
        out = _kiosk_json(kiosk)
        out.update(last=kiosk["last"], history=kiosk["history"], alert_log=kiosk["alert_log"])
        return out

    async def rollouts_page(self, request: Request, who: dict[str, Any]) -> Response:
        data = await asyncio.to_thread(rollouts, self.store, self.repo)
        return self._render(request, "rollouts.html", who, rollouts=data)

    async def api_rollouts(self, _request: Request, _who: dict[str, Any]) -> Any:
        return {"rollouts": await asyncio.to_thread(rollouts, self.store, self.repo)}

    async def stop_rollout(self, request: Request, who: dict[str, Any]) -> Response:
        form = await request.form()
        try:
            version = int(str(form.get("version", "")))
        except ValueError:
            return self._render(request, "message.html", who, status=400, message="No such version.")
        note = str(form.get("note", ""))[:500]
        await asyncio.to_thread(self.store.rollout_event, version, "*", "stopped", who["operator"], note)
        log.warning("rollout of version %d stopped by %s: %s", version, who["operator"], note)
        return RedirectResponse("/rollouts", 303)

    async def alerts_page(self, request: Request, who: dict[str, Any]) -> Response:
        show_all = request.query_params.get("all") == "1"
        alerts = await asyncio.to_thread(self.store.alerts, open_only=not show_all)
        return self._render(request, "alerts.html", who, alerts=alerts, show_all=show_all)

    async def api_alerts(self, request: Request, _who: dict[str, Any]) -> Any:
        show_all = request.query_params.get("all") == "1"
        return {"alerts": await asyncio.to_thread(self.store.alerts, open_only=not show_all)}

    async def ack(self, request: Request, who: dict[str, Any]) -> Response:
        await asyncio.to_thread(self.store.acknowledge, request.path_params["alert_id"], who["operator"])
        return RedirectResponse("/alerts", 303)

    async def api_ack(self, request: Request, who: dict[str, Any]) -> Any:
        done = await asyncio.to_thread(self.store.acknowledge, request.path_params["alert_id"], who["operator"])
        return done if done is not None else _error(404, "not_found", "no such open alert")


def _changes(history: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The heartbeats (newest first) where a device state, its warnings, the outbox or the version changed."""

    def shown(beat: dict[str, Any]) -> tuple[Any, ...]:
        devices = beat.get("devices") or {}
        states = tuple(sorted((n, d.get("state"), tuple(d.get("warnings") or ())) for n, d in devices.items()))
        return states, beat.get("outbox_depth"), beat.get("config_version")

    kept = [b for b, older in itertools.pairwise(history) if shown(b) != shown(older)]
    return kept + history[-1:]  # the oldest one shown is where the record starts


def _kiosk_json(kiosk: dict[str, Any]) -> dict[str, Any]:
    keys = ("id", "grp", "site", "state", "alerts", "last_at", "beats", "config_version", "software_version",
            "in_service", "service_reason", "outbox_depth", "refusal")  # fmt: skip
    out = {k: kiosk[k] for k in keys}
    out["group"] = out.pop("grp")
    return out


def _device_words(text: str, gettext: Callable[[str], str]) -> str:
    """An alert's detail with device names in the page's language ("printer: offline" → "凭条打印机: offline")."""
    return re.sub(r"\b(" + "|".join(DEVICE_LABELS) + r")\b", lambda m: gettext(DEVICE_LABELS[m.group(1)]), text)


def _safe_next(target: str) -> str:
    """Only a path on this console (never ``//host`` or a URL) after login."""
    return target if target.startswith("/") and not target.startswith("//") and "\\" not in target else "/"


def _secure(answer: Response) -> Response:
    for key, value in HEADERS.items():
        answer.headers.setdefault(key, value)
    return answer


def _time(epoch: float | None) -> str:
    if epoch is None:
        return "—"
    return dt.datetime.fromtimestamp(epoch, TZ).strftime("%Y-%m-%d %H:%M:%S")
