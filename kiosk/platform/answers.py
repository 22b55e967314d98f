"""Strict parsing of the platform's answers into typed records.

Every parser takes the decoded JSON value and either returns a record or raises
:class:`~kiosk.platform.errors.MalformedAnswer`: a missing field, a wrong type, an unknown status,
a bad date, never a ``KeyError`` or ``TypeError`` escaping into the caller.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any, TypeAlias

from kiosk.platform.errors import MalformedAnswer

# Inside _Obj the names str and bool are its readers; annotations there use these.
_Str: TypeAlias = str
_Bool: TypeAlias = bool
STATUSES = ("accepted", "in_review", "need_more", "approved", "rejected", "completed")


class _Obj:
    """A JSON object being read, naming its place for error messages."""

    def __init__(self, value: Any, where: str) -> None:
        if not isinstance(value, dict):
            raise MalformedAnswer(f"{where}: expected an object, got {type(value).__name__}")
        self.value, self.where = value, where

    def _get(self, key: str) -> Any:
        if key not in self.value:
            raise MalformedAnswer(f"{self.where}.{key}: missing")
        return self.value[key]

    def str(self, key: str, *, optional: bool = False, nullable: bool = False, nonempty: bool = True) -> Any:
        if optional and key not in self.value:
            return None
        value = self._get(key)
        if value is None and nullable:
            return None
        if not isinstance(value, str) or (nonempty and not value):
            raise MalformedAnswer(f"{self.where}.{key}: expected a non-empty string")
        return value

    def int(self, key: _Str, *, minimum: int | None = None, maximum: int | None = None) -> int:
        value = self._get(key)
        if not isinstance(value, int) or isinstance(value, bool):
            raise MalformedAnswer(f"{self.where}.{key}: expected an integer")
        if (minimum is not None and value < minimum) or (maximum is not None and value > maximum):
            raise MalformedAnswer(f"{self.where}.{key}: {value} out of range")
        return value

    def bool(self, key: _Str) -> _Bool:
        value = self._get(key)
        if not isinstance(value, bool):
            raise MalformedAnswer(f"{self.where}.{key}: expected true or false")
        return value

    def list(self, key: _Str, *, optional: _Bool = False) -> list[Any]:
        if optional and key not in self.value:
            return []
        value = self._get(key)
        if not isinstance(value, list):
            raise MalformedAnswer(f"{self.where}.{key}: expected a list")
        return value

    def obj(self, key: _Str) -> _Obj:
        return _Obj(self._get(key), f"{self.where}.{key}")

    def time(self, key: _Str) -> dt.datetime:
        raw = self.str(key)
        try:
            value = dt.datetime.fromisoformat(raw)
        except ValueError:
            raise MalformedAnswer(f"{self.where}.{key}: not an ISO 8601 time") from None
        if value.tzinfo is None:
            raise MalformedAnswer(f"{self.where}.{key}: time without offset")
        return value

    def date(self, key: _Str, *, nullable: _Bool = False) -> dt.date | None:
        raw = self.str(key, nullable=nullable)
        if raw is None:
            return None
        try:
            if len(raw) != 10:
                raise ValueError
            return dt.date.fromisoformat(raw)
        except ValueError:
            raise MalformedAnswer(f"{self.where}.{key}: not a YYYY-MM-DD date") from None

    def status(self, key: _Str) -> _Str:
        value = self.str(key)
        if value not in STATUSES:
            raise MalformedAnswer(f"{self.where}.{key}: unknown status {value[:40]!r}")
        return value


def _no_error_body(value: Any) -> None:
    if isinstance(value, dict) and "error" in value:
        raise MalformedAnswer("a success status carrying an error body")


@dataclass(frozen=True, repr=False)
class Verification:
    verified: bool
    verification_id: str | None = None
    token: str | None = None
    expires_in: int | None = None
    subject_id_number: str | None = None
    subject_name: str | None = None
    reason: str | None = None

    def __repr__(self) -> str:  # the subject and the token never reach a log through repr
        return (
            f"Verification(verified={self.verified}, verification_id={self.verification_id!r}, reason={self.reason!r})"
        )


def verification(value: Any) -> Verification:
    _no_error_body(value)
    top = _Obj(value, "verification")
    if not top.bool("verified"):
        return Verification(verified=False, reason=top.str("reason"))
    subject = top.obj("subject")
    return Verification(
        verified=True,
        verification_id=top.str("verification_id"),
        token=top.str("token"),
        expires_in=top.int("expires_in", minimum=1),
        subject_id_number=subject.str("id_number"),
        subject_name=subject.str("name"),
    )


@dataclass(frozen=True)
class Certificate:
    code: str
    name: str
    number: str | None
    issuer: str
    valid_to: dt.date | None


def certificates(value: Any) -> list[Certificate]:
    _no_error_body(value)
    out = []
    for index, item in enumerate(_Obj(value, "answer").list("certificates")):
        cert = _Obj(item, f"certificates[{index}]")
        out.append(
            Certificate(
                code=cert.str("code"),
                name=cert.str("name"),
                number=cert.str("number", nullable=True),
                issuer=cert.str("issuer"),
                valid_to=cert.date("valid_to", nullable=True),
            )
        )
    return out


@dataclass(frozen=True)
class UploadedFile:
    file_id: str
    sha256: str
    size: int


def uploaded_file(value: Any, expected_sha256: str, expected_size: int) -> UploadedFile:
    _no_error_body(value)
    top = _Obj(value, "file")
    record = UploadedFile(top.str("file_id"), top.str("sha256").lower(), top.int("size", minimum=0))
    if record.sha256 != expected_sha256 or record.size != expected_size:
        raise MalformedAnswer("file: the platform stored other bytes than were sent")
    return record


@dataclass(frozen=True)
class Acceptance:
    application_no: str
    status: str
    accepted_at: dt.datetime
    handling_org: str
    promised_by: dt.date | None
    replayed: bool = False  # True when the platform answered 200: a repeat of an earlier accepted request


def acceptance(value: Any, *, replayed: bool = False) -> Acceptance:
    _no_error_body(value)
    top = _Obj(value, "application")
    return Acceptance(
        application_no=top.str("application_no"),
        status=top.status("status"),
        accepted_at=top.time("accepted_at"),
        handling_org=top.str("handling_org"),
        promised_by=top.date("promised_by", nullable=True),
        replayed=replayed,
    )


@dataclass(frozen=True)
class HistoryEntry:
    at: dt.datetime
    status: str
    note: str


@dataclass(frozen=True)
class PromiseChange:
    at: dt.datetime
    old: dt.date | None
    new: dt.date
    reason: str


@dataclass(frozen=True)
class Progress:
    application_no: str
    status: str
    history: tuple[HistoryEntry, ...]
    promised_by: dt.date | None
    client_reference: str | None = None
    handling_org: str | None = None
    promise_changes: tuple[PromiseChange, ...] = ()


def progress(value: Any, where: str = "progress") -> Progress:
    _no_error_body(value)
    top = _Obj(value, where)
    history = []
    for index, item in enumerate(top.list("history")):
        entry = _Obj(item, f"{where}.history[{index}]")
        history.append(HistoryEntry(entry.time("at"), entry.status("status"), entry.str("note", nonempty=False)))
    changes = []
    for index, item in enumerate(top.list("promise_changes", optional=True)):
        entry = _Obj(item, f"{where}.promise_changes[{index}]")
        new = entry.date("to")
        assert new is not None  # not nullable: date() raised otherwise
        changes.append(PromiseChange(entry.time("at"), entry.date("from", nullable=True), new, entry.str("reason")))
    return Progress(
        application_no=top.str("application_no"),
        status=top.status("status"),
        history=tuple(history),
        promised_by=top.date("promised_by", nullable=True),
        client_reference=top.str("client_reference", optional=True, nullable=True),
        handling_org=top.str("handling_org", optional=True, nullable=True),
        promise_changes=tuple(changes),
    )


def progress_list(value: Any) -> list[Progress]:
    _no_error_body(value)
    items = _Obj(value, "answer").list("applications")
    return [progress(item, f"applications[{index}]") for index, item in enumerate(items)]


def evaluation_id(value: Any) -> str:
    _no_error_body(value)
    return _Obj(value, "evaluation").str("evaluation_id")


def error_body(value: Any) -> tuple[str, str, dict[str, str]]:
    """(code, message, fields) of an error answer; lenient, because it only decorates the status's meaning."""
    error = value.get("error") if isinstance(value, dict) else None
    if not isinstance(error, dict):
        return "", "", {}
    code, message = error.get("code"), error.get("message")
    code = code if isinstance(code, str) else ""
    message = message if isinstance(message, str) else ""
    raw_fields = error.get("fields")
    fields = {str(k)[:100]: str(v)[:200] for k, v in raw_fields.items()} if isinstance(raw_fields, dict) else {}
    return code[:100], message[:300], fields
