"""The required fields of a kiosk heartbeat (docs/platform-api.yaml ``Heartbeat``), as every receiver checks them.

Both receivers use this one check: the platform simulator (drivers.sim.platform) and the fleet console
(kiosk.console.heartbeat). It sits below kiosk/ because the simulator never imports kiosk; the sender
(kiosk/health.py, kiosk/heartbeat.py) never uses it, so a mistake in what the kiosk sends still shows.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

REQUIRED = ("at", "software_version", "config_version", "devices", "outbox_depth")
VERSION_MAX = 64


def required_errors(body: dict[str, Any]) -> dict[str, str]:
    """The 422 ``fields`` for the required part of a heartbeat body (empty when that part is valid)."""
    errors: dict[str, str] = {}
    at = body.get("at")
    try:
        parsed = dt.datetime.fromisoformat(at) if isinstance(at, str) else None
    except ValueError:
        parsed = None
    if parsed is None or parsed.tzinfo is None:
        errors["at"] = "an ISO 8601 time with offset"
    for key in ("software_version", "config_version"):
        value = body.get(key)
        if not isinstance(value, str) or not value.strip():
            errors[key] = "required, a non-empty string"
        elif len(value) > VERSION_MAX:
            errors[key] = f"at most {VERSION_MAX} characters"
    devices = body.get("devices")
    if not isinstance(devices, dict) or not all(
        isinstance(d, dict) and isinstance(d.get("state"), str) for d in devices.values()
    ):
        errors["devices"] = "an object of {name: {state, …}}"
    depth = body.get("outbox_depth")
    if not (isinstance(depth, int) and not isinstance(depth, bool) and depth >= 0):
        errors["outbox_depth"] = "an integer ≥ 0"
    return errors
