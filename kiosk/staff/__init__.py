"""Staff access: PIN hashing, sign-in with lockout, roles and permissions, idle-closing sessions,
and the hidden corner-tap gesture. UI-free; the staff menu screens are a view over this."""

from kiosk.staff.auth import LoginResult, Outcome, StaffAuth
from kiosk.staff.gesture import CornerTapGesture, corner_region
from kiosk.staff.pins import WeakPinError, check_pin_policy, hash_card, hash_pin, verify_pin
from kiosk.staff.session import (
    ADMINISTRATOR_ONLY,
    Action,
    PermissionDenied,
    Role,
    SessionClosed,
    StaffSession,
    allowed,
)

__all__ = [
    "ADMINISTRATOR_ONLY",
    "Action",
    "CornerTapGesture",
    "LoginResult",
    "Outcome",
    "PermissionDenied",
    "Role",
    "SessionClosed",
    "StaffAuth",
    "StaffSession",
    "WeakPinError",
    "allowed",
    "check_pin_policy",
    "corner_region",
    "hash_card",
    "hash_pin",
    "verify_pin",
]
