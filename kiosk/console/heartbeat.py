"""The heartbeat a kiosk sends (docs/platform-api.yaml ``Heartbeat``): validation and the facts the console reads.

The required fields are checked exactly as the platform checks them, by the one check both share
(drivers/heartbeat_contract.py); every other field is optional and kept as sent (kiosks of a newer release add
fields; an older console must still take them). ``facts`` reads the operator-relevant values tolerantly: a value
of the wrong type is treated as absent, never as an error.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from drivers.heartbeat_contract import required_errors

MAX_BODY = 1024 * 1024
LOST_STATES = frozenset({"offline", "no_device", "hardware_error"})


def validate(body: Any) -> dict[str, str]:
    """The 422 ``fields`` for a heartbeat body (empty when it is valid)."""
    if not isinstance(body, dict):
        return {"": "the body must be a JSON object"}
    return required_errors(body)


def _int(value: Any) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def _dict(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def _str(value: Any) -> str:
    return value if isinstance(value, str) else ""


@dataclass(frozen=True)
class Facts:
    """What the console's pages and alert rules need from one (valid) heartbeat."""

    config_version: str
    software_version: str
    outbox_depth: int
    devices: dict[str, dict[str, Any]]
    paper_out: bool = False
    lost_devices: tuple[str, ...] = ()
    in_service: bool = True
    service_reason: str = ""
    restarts: int | None = None
    audit_seq: int | None = None
    audit_hash: str = ""
    group: str = ""
    last_refusal: dict[str, Any] = field(default_factory=dict)
    last_revert: dict[str, Any] = field(default_factory=dict)
    disk_free_mb: int | None = None
    outbox_alarm: str = ""
    jobs_failed: int | None = None
    jobs_refused: int | None = None
    last_start_fault: dict[str, Any] = field(default_factory=dict)


def facts(body: dict[str, Any]) -> Facts:
    devices = {str(k): v for k, v in body["devices"].items()}
    printer = _dict(body.get("printer"))
    paper_out = _str(printer.get("paper")) == "out" or any(
        "paper_out" in (d.get("warnings") or ()) or d.get("paper") == "out" for d in devices.values()
    )
    service = _dict(body.get("service"))
    in_service = body.get("in_service", service.get("in_service", True))
    reason = _str(body.get("service_reason")) or _str(service.get("reason"))
    audit = _dict(body.get("audit_head"))
    fleet = _dict(body.get("fleet"))
    refusal = _dict(fleet.get("last_refusal"))
    return Facts(
        config_version=body["config_version"],
        software_version=body["software_version"],
        outbox_depth=body["outbox_depth"],
        devices=devices,
        paper_out=paper_out,
        lost_devices=tuple(sorted(n for n, d in devices.items() if d.get("state") in LOST_STATES)),
        in_service=in_service is not False,
        service_reason=reason[:200],
        restarts=_int(body.get("restarts")),
        audit_seq=_int(audit.get("seq")),
        audit_hash=_str(audit.get("hash"))[:128],
        group=_str(fleet.get("group") or body.get("group"))[:32],
        last_refusal=refusal,
        last_revert=_dict(fleet.get("last_revert")),
        disk_free_mb=_int(body.get("disk_free_mb")),
        outbox_alarm=_str(body.get("outbox_alarm"))[:200],
        jobs_failed=_int(body.get("jobs_failed")),
        jobs_refused=_int(body.get("jobs_refused")),
        last_start_fault=_dict(body.get("last_start_fault")),
    )
