"""Request-body validation of the platform simulator: every problem becomes one entry of the 422 ``fields``."""

from __future__ import annotations

import base64
import binascii
import datetime as dt
import re
from typing import Any

ID_TYPES = ("resident", "hmt_permit", "foreign_permanent")
METHODS = ("idcard", "sscard", "eid_qr", "essc_qr")
PROVIDED_AS = {
    "file": "file_id",
    "certificate": "certificate_number",
    "commitment": "signature_file_id",
    "deferred": None,
}
_REGION = re.compile(r"^\d{6}$")
_FOREIGN_2017 = re.compile(r"^[A-Z]{3}\d{12}$")
_PHONE = re.compile(r"^\+?\d{5,20}$")


def id_number_valid(number: str) -> bool:
    """GB 11643: the 18th character checks the first 17 by ISO 7064 MOD 11-2 (weight of digit i: 2^(17-i) mod 11).
    The platform checks it on its own, not with the driver's code, so a mistake on either side shows."""
    if not re.fullmatch(r"\d{17}[\dXx]", number):
        return False
    total = sum(int(digit) * pow(2, 17 - i, 11) for i, digit in enumerate(number[:17]))
    return "10X98765432"[total % 11] == number[17].upper()


class Errors(dict[str, str]):
    def need_str(self, obj: dict[str, Any], key: str, where: str, *, max_len: int = 200, optional: bool = False) -> str:
        value = obj.get(key)
        if value is None and optional:
            return ""
        if not isinstance(value, str) or not value.strip():
            self[where] = "required, a non-empty string"
            return ""
        if len(value) > max_len:
            self[where] = f"at most {max_len} characters"
        return value

    def need_enum(self, obj: dict[str, Any], key: str, where: str, allowed: tuple[str, ...]) -> str:
        value = obj.get(key)
        if value not in allowed:
            self[where] = f"one of {', '.join(allowed)}"
            return ""
        return value


def person(errors: Errors, value: Any, where: str) -> str:
    """Check an applicant/agent object; returns its id_number (or "")."""
    if not isinstance(value, dict):
        errors[where] = "required, an object"
        return ""
    id_type = errors.need_enum(value, "id_type", f"{where}.id_type", ID_TYPES)
    number = errors.need_str(value, "id_number", f"{where}.id_number", max_len=32)
    # The 2017 permanent-residence card carries a 15-character number: nationality + 12 digits.
    old_permit = id_type == "foreign_permanent" and bool(_FOREIGN_2017.match(number or ""))
    if number and id_type in ID_TYPES and not id_number_valid(number) and not old_permit:
        errors[f"{where}.id_number"] = "not a valid 18-character number (check digit)"
    errors.need_str(value, "name", f"{where}.name", max_len=100)
    phone = value.get("phone")
    if phone is not None and not (isinstance(phone, str) and _PHONE.match(phone)):
        errors[f"{where}.phone"] = "digits, or null"
    region = value.get("region_code")
    if not (isinstance(region, str) and _REGION.match(region)):
        errors[f"{where}.region_code"] = "a 6-digit division code"
    return number


def timestamp(errors: Errors, value: Any, where: str) -> None:
    try:
        parsed = dt.datetime.fromisoformat(value) if isinstance(value, str) else None
    except ValueError:
        parsed = None
    if parsed is None or parsed.tzinfo is None:
        errors[where] = "an ISO 8601 time with offset"


def region_code(errors: Errors, value: Any, where: str) -> None:
    if not (isinstance(value, str) and _REGION.match(value)):
        errors[where] = "a 6-digit division code"


def face_jpeg(errors: Errors, value: Any) -> None:
    if value is None:
        return
    try:
        raw = base64.b64decode(value, validate=True) if isinstance(value, str) else b""
    except (binascii.Error, ValueError):
        raw = b""
    if not raw.startswith(b"\xff\xd8"):
        errors["face_jpeg_b64"] = "base64 of a JPEG image"


def content_matches(content_type: str, data: bytes) -> bool:
    magic = {"image/jpeg": b"\xff\xd8", "image/png": b"\x89PNG\r\n\x1a\n", "application/pdf": b"%PDF-"}
    return content_type in magic and data.startswith(magic[content_type])


PAPER_STATES = ("ok", "near_end", "out", "unknown")


def _count(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and value >= 0


def _event(value: Any) -> bool:
    """A fleet event: null, or {version, reason, at}."""
    return value is None or (isinstance(value, dict) and isinstance(value.get("reason"), str)
                             and isinstance(value.get("at"), str))  # fmt: skip


def heartbeat_health(errors: Errors, body: dict[str, Any]) -> None:
    """The optional health fields of a heartbeat (contract: components.schemas.Heartbeat): checked when present."""
    for key in ("jobs_failed", "jobs_refused", "restarts"):
        if key in body and not _count(body[key]):
            errors[key] = "an integer ≥ 0"
    if "disk_free_mb" in body and not (body["disk_free_mb"] is None or _count(body["disk_free_mb"])):
        errors["disk_free_mb"] = "an integer ≥ 0, or null"
    if "in_service" in body and not isinstance(body["in_service"], bool):
        errors["in_service"] = "true or false"
    for key in ("service_reason",):
        if key in body and not isinstance(body[key], str):
            errors[key] = "a string"
    if "outbox_alarm" in body and not (body["outbox_alarm"] is None or isinstance(body["outbox_alarm"], str)):
        errors["outbox_alarm"] = "a string, or null"
    head = body.get("audit_head")
    if head is not None and not (isinstance(head, dict) and _count(head.get("seq"))
                                 and isinstance(head.get("hash"), str)):  # fmt: skip
        errors["audit_head"] = "{seq, hash}, or null"
    fault = body.get("last_start_fault")
    fault_fields = ("code", "detail", "at")
    if fault is not None and not (isinstance(fault, dict)
                                  and all(isinstance(fault.get(k), str) for k in fault_fields)):  # fmt: skip
        errors["last_start_fault"] = "{code, detail, at}, or null"
    fleet = body.get("fleet")
    if fleet is not None and not (isinstance(fleet, dict) and _event(fleet.get("last_refusal"))
                                  and _event(fleet.get("last_revert"))):  # fmt: skip
        errors["fleet"] = "{last_refusal, last_revert}, each {version, reason, at} or null"
    printer = body.get("printer")
    if printer is not None and not (isinstance(printer, dict) and printer.get("paper") in PAPER_STATES
                                    and isinstance(printer.get("counters"), dict)):  # fmt: skip
        errors["printer"] = "{paper: ok|near_end|out|unknown, counters: {…}}"
