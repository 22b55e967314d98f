"""The kiosk's client of the platform gateway (contract v1, docs/platform-api.yaml).

Every request carries the device token and the kiosk id; TLS is verified against the configured CA
bundle, and plain HTTP is refused unless the host is loopback (the simulator). Every failure comes out
as one of the classified errors in :mod:`kiosk.platform.errors`; every success is parsed strictly by
:mod:`kiosk.platform.answers`. Nothing personal is logged: paths and statuses only.
"""

from __future__ import annotations

import base64
import hashlib
import ipaddress
import json
import logging
import threading
import traceback
from typing import Any
from urllib.parse import quote, urlsplit

import requests

from kiosk.platform import answers
from kiosk.platform.errors import (
    CredentialError,
    MalformedAnswer,
    PermanentError,
    PlatformError,
    RetryableError,
    classify,
    parse_retry_after,
)

log = logging.getLogger(__name__)

MAX_FILE = 5 * 1024 * 1024
MAX_ANSWER = 2 * 1024 * 1024  # no contract answer comes near this; a bigger one is a broken gateway
FILE_TYPES = ("image/jpeg", "image/png", "application/pdf")


def is_loopback(host: str) -> bool:
    if host.lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def canonical_json(value: Any) -> bytes:
    """The one serialisation used for request bodies: a retried request sends byte-identical bodies."""
    return json.dumps(value, ensure_ascii=False, sort_keys=True, separators=(",", ":"), allow_nan=False).encode()


def _reject_constant(name: str) -> Any:
    raise ValueError(f"{name} is not JSON")


class PlatformClient:
    def __init__(
        self,
        base_url: str,
        token: str,
        kiosk_id: str,
        *,
        ca_bundle: str | None = None,
        timeout: tuple[float, float] = (3.05, 15.0),
        session_factory: Any = requests.Session,
    ) -> None:
        """``ca_bundle``: the platform's CA certificates (PEM); None uses the system store (HTTPS only)."""
        parts = urlsplit(base_url)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise ValueError(f"not an http(s) URL: {base_url!r}")
        if parts.scheme == "http" and not is_loopback(parts.hostname):
            raise ValueError("plain HTTP is allowed only to loopback; use https with the platform's CA bundle")
        if not token or not kiosk_id:
            raise ValueError("a device token and a kiosk id are required")
        self.base_url = base_url.rstrip("/")
        self.kiosk_id = kiosk_id
        self._token = token
        self._verify: str | bool = ca_bundle if (ca_bundle and parts.scheme == "https") else True
        self.timeout = timeout
        self._session_factory = session_factory
        self._local = threading.local()

    def __repr__(self) -> str:  # never the token
        return f"PlatformClient({self.base_url!r}, kiosk_id={self.kiosk_id!r})"

    def _session(self) -> requests.Session:
        # one Session per thread: the outbox worker and the UI's calls never share a connection pool
        session = getattr(self._local, "session", None)
        if session is None:
            session = self._session_factory()
            session.headers.update({"Authorization": f"Bearer {self._token}", "X-Kiosk-Id": self.kiosk_id})
            self._local.session = session
        return session

    def close(self) -> None:
        session = getattr(self._local, "session", None)
        if session is not None:
            session.close()
            self._local.session = None

    # -- transport -------------------------------------------------------------------------------------

    def _call(
        self,
        method: str,
        path: str,
        *,
        body: bytes | None = None,
        headers: dict[str, str] | None = None,
        params: dict[str, str] | None = None,
        success: tuple[int, ...] = (200,),
        not_found_is_none: bool = False,
    ) -> tuple[int, Any]:
        """(status, decoded JSON or None for 204/404); raises a classified PlatformError otherwise."""
        try:
            response = self._session().request(
                method,
                self.base_url + path,
                data=body,
                headers=headers,
                params=params,
                timeout=self.timeout,
                verify=self._verify,
                allow_redirects=False,
                stream=True,
            )
        except requests.RequestException as exc:
            raise _transport_error(exc) from None
        with response:
            status = response.status_code
            log.debug("%s %s → %s", method, path, status)
            raw = self._read(response)
        if status in success:
            if status == 204:
                return status, None
            return status, self._decode(raw)
        if status == 404 and not_found_is_none:
            return status, None
        try:
            code, message, fields = answers.error_body(json.loads(raw.decode("utf-8")))
        except (UnicodeDecodeError, ValueError):
            code, message, fields = "", "", {}
        if 200 <= status <= 299:
            raise MalformedAnswer(f"unexpected success status {status}", status=status)
        raise classify(status)(
            message or f"HTTP {status}",
            status=status,
            code=code,
            fields=fields,
            retry_after=parse_retry_after(response.headers.get("Retry-After")),
        )

    @staticmethod
    def _read(response: requests.Response) -> bytes:
        chunks, size = [], 0
        try:
            for chunk in response.iter_content(64 * 1024):
                size += len(chunk)
                if size > MAX_ANSWER:
                    raise MalformedAnswer("answer too large", status=response.status_code)
                chunks.append(chunk)
        except (requests.ConnectionError, requests.exceptions.ChunkedEncodingError, requests.Timeout) as exc:
            _forget_frames(exc)
            raise RetryableError(f"answer cut off: {type(exc).__name__}", status=response.status_code) from None
        except requests.RequestException as exc:
            _forget_frames(exc)
            raise MalformedAnswer(f"answer unreadable: {type(exc).__name__}", status=response.status_code) from None
        return b"".join(chunks)

    @staticmethod
    def _decode(raw: bytes) -> Any:
        try:
            return json.loads(raw.decode("utf-8"), parse_constant=_reject_constant)
        except (UnicodeDecodeError, ValueError, RecursionError):
            raise MalformedAnswer("answer is not UTF-8 JSON") from None

    def _json_headers(self, idempotency_key: str | None) -> dict[str, str]:
        headers = {"Content-Type": "application/json"}
        if idempotency_key:
            headers["Idempotency-Key"] = idempotency_key
        return headers

    # -- endpoints ----------------------------------------------------------------------------------------

    def verify_identity(
        self,
        *,
        method: str,
        id_type: str | None = None,
        id_number: str | None = None,
        name: str | None = None,
        qr_payload: str | None = None,
        face_jpeg: bytes | None = None,
    ) -> answers.Verification:
        """Real-name check. ``verified=False`` with a reason is an answer, not an error."""
        body: dict[str, Any] = {"method": method}
        for key, value in (("id_type", id_type), ("id_number", id_number), ("name", name), ("qr_payload", qr_payload)):
            if value is not None:
                body[key] = value
        if face_jpeg is not None:
            body["face_jpeg_b64"] = base64.b64encode(face_jpeg).decode("ascii")
        _, value = self._call(
            "POST", "/v1/identity/verifications", body=canonical_json(body), headers=self._json_headers(None)
        )
        return self._parse(answers.verification, value)

    def certificates(self, verification_token: str) -> list[answers.Certificate]:
        _, value = self._call("GET", "/v1/certificates", headers={"X-Verification-Token": verification_token})
        return self._parse(answers.certificates, value)

    def upload_file(self, data: bytes, content_type: str, idempotency_key: str) -> answers.UploadedFile:
        if content_type not in FILE_TYPES:
            raise PermanentError(f"unsupported content type {content_type!r}")
        if len(data) > MAX_FILE:
            raise PermanentError(f"file of {len(data)} bytes exceeds {MAX_FILE}", status=413)
        headers = {"Content-Type": content_type, "Idempotency-Key": idempotency_key}
        _, value = self._call("POST", "/v1/files", body=data, headers=headers, success=(200, 201))
        digest = hashlib.sha256(data).hexdigest()
        return self._parse(answers.uploaded_file, value, digest, len(data))

    def submit_application(self, application: dict[str, Any], idempotency_key: str) -> answers.Acceptance:
        status, value = self._call(
            "POST",
            "/v1/applications",
            body=canonical_json(application),
            headers=self._json_headers(idempotency_key),
            success=(200, 201),
        )
        return self._parse(answers.acceptance, value, replayed=status == 200)

    def progress(self, application_no: str) -> answers.Progress | None:
        """None when the platform does not know the number (404)."""
        status, value = self._call("GET", f"/v1/applications/{quote(application_no, safe='')}", not_found_is_none=True)
        return None if status == 404 else self._parse(answers.progress, value)

    def progress_by_reference(self, client_reference: str) -> answers.Progress | None:
        """The application this kiosk queued under its own number; None until it was delivered."""
        status, value = self._call(
            "GET", "/v1/applications", params={"client_reference": client_reference}, not_found_is_none=True
        )
        return None if status == 404 else self._parse(answers.progress, value)

    def applications_of(self, id_number: str, verification_token: str) -> list[answers.Progress]:
        """The verified person's applications, newest first."""
        _, value = self._call(
            "GET",
            "/v1/applications",
            params={"id_number": id_number},
            headers={"X-Verification-Token": verification_token},
        )
        return self._parse(answers.progress_list, value)

    def evaluate(self, application_no: str | None, level: int, reasons: list[str], comment: str, idempotency_key: str,
                 *, service: str = "application", item_code: str | None = None) -> str:  # fmt: skip
        """好差评 of an application, or (``service`` guide / progress) of a service without one."""
        body: dict[str, Any] = {"level": level, "reasons": list(reasons), "comment": comment}
        if service != "application":
            body["service"] = service
            if item_code:
                body["item_code"] = item_code
        if application_no is not None:
            body["application_no"] = application_no
        _, value = self._call(
            "POST",
            "/v1/evaluations",
            body=canonical_json(body),
            headers=self._json_headers(idempotency_key),
            success=(200, 201),
        )
        return self._parse(answers.evaluation_id, value)

    def heartbeat(
        self,
        *,
        at: str,
        software_version: str,
        config_version: str,
        devices: dict[str, dict[str, Any]],
        outbox_depth: int,
        **health: Any,  # the optional health fields (kiosk.health, docs/platform-api.yaml Heartbeat)
    ) -> None:
        body = {
            "at": at,
            "software_version": software_version,
            "config_version": config_version,
            "devices": devices,
            "outbox_depth": outbox_depth,
            **health,
        }
        self._call(
            "POST",
            f"/v1/kiosks/{quote(self.kiosk_id, safe='')}/heartbeat",
            body=canonical_json(body),
            headers=self._json_headers(None),
            success=(204,),
        )

    @staticmethod
    def _parse(parser: Any, value: Any, *args: Any, **kwargs: Any) -> Any:
        try:
            return parser(value, *args, **kwargs)
        except PlatformError:
            raise
        except (TypeError, ValueError, AttributeError, KeyError) as exc:  # a parser gap must not crash the caller
            raise MalformedAnswer(f"answer unreadable: {type(exc).__name__}") from None


def _transport_error(exc: requests.RequestException) -> PlatformError:
    """The classified error for a request that got no answer."""
    _forget_frames(exc)
    if isinstance(exc, requests.exceptions.SSLError):
        return CredentialError(f"TLS verification failed: {type(exc).__name__}")
    if isinstance(exc, requests.Timeout):
        return RetryableError("timeout")
    if isinstance(exc, requests.ConnectionError | requests.exceptions.ChunkedEncodingError):
        return RetryableError(f"connection failed: {type(exc).__name__}")
    return PermanentError(f"request not sendable: {type(exc).__name__}")


def _forget_frames(exc: BaseException) -> None:
    """Clear the locals of the library frames a transport exception carries. requests/urllib3 leave reference
    cycles there (an exception held by a frame of its own traceback); until the cyclic collector ran, those
    frames kept their callers alive through ``f_back`` — the kiosk frames holding a resident's identity."""
    seen: set[int] = set()
    chained: BaseException | None = exc
    while chained is not None and id(chained) not in seen:  # the exceptions it was raised from, too
        seen.add(id(chained))
        traceback.clear_frames(chained.__traceback__)
        chained = chained.__cause__ or chained.__context__
