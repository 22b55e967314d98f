"""Roles, per-action permissions and the staff session that closes itself when idle."""

from __future__ import annotations

import enum
import logging
import time
from collections.abc import Callable
from typing import Any

from kiosk.audit import AuditTrail

log = logging.getLogger(__name__)


class Role(enum.StrEnum):
    OPERATOR = "operator"  # daily care: paper, self-tests, out-of-service, outbox, reprint, restart
    ADMINISTRATOR = "administrator"  # everything, plus configuration and exit to the desktop


class Action(enum.StrEnum):
    VIEW_STATUS = "view_status"
    DEVICE_SELFTEST = "device_selftest"
    PAPER_REPLACED = "paper_replaced"
    OUT_OF_SERVICE = "out_of_service"
    OUTBOX = "outbox"
    REPRINT = "reprint"
    VIEW_LOGS = "view_logs"
    NETWORK_CHECK = "network_check"
    RESTART_APP = "restart_app"
    CONFIGURATION = "configuration"
    EXIT_TO_DESKTOP = "exit_to_desktop"


ADMINISTRATOR_ONLY = frozenset({Action.CONFIGURATION, Action.EXIT_TO_DESKTOP})


def allowed(role: Role | str, action: Action | str) -> bool:
    role, action = Role(role), Action(action)
    return role is Role.ADMINISTRATOR or action not in ADMINISTRATOR_ONLY


class SessionClosed(Exception):
    """The session ended (idle or logged out); the menu must go back to the resident home screen."""


class PermissionDenied(Exception):
    pass


class StaffSession:
    """One staff member's time in the menu. ``clock`` is monotonic seconds (injectable for tests).

    The UI calls ``touch()`` on every interaction and ``tick()`` from its clock; the session closes
    itself (audited, ``on_close`` called once) when idle for ``idle_timeout_s``.
    """

    def __init__(
        self,
        member_id: str,
        role: Role | str,
        idle_timeout_s: float,
        audit: AuditTrail | None = None,
        clock: Callable[[], float] = time.monotonic,
        on_close: Callable[[str], None] | None = None,
        display_name: str = "",
    ) -> None:
        self.member_id = member_id
        self.role = Role(role)
        self.display_name = display_name
        self.idle_timeout_s = idle_timeout_s
        self.on_close = on_close
        self._audit = audit
        self._clock = clock
        self._last = clock()
        self._closed_reason: str | None = None

    # -- lifetime ------------------------------------------------------------------------------------
    @property
    def is_open(self) -> bool:
        self.tick()
        return self._closed_reason is None

    @property
    def closed_reason(self) -> str | None:
        return self._closed_reason

    def remaining_s(self) -> float:
        if self._closed_reason is not None:
            return 0.0
        return max(0.0, self.idle_timeout_s - (self._clock() - self._last))

    def touch(self) -> None:
        if self.is_open:
            self._last = self._clock()

    def tick(self) -> bool:
        """Close when idle; True while the session is open."""
        if self._closed_reason is None and self._clock() - self._last >= self.idle_timeout_s:
            self.close("idle")
        return self._closed_reason is None

    def close(self, reason: str = "logout") -> None:
        if self._closed_reason is not None:
            return
        self._closed_reason = reason
        self._record("staff.session_closed", reason=reason)
        if self.on_close is not None:
            try:
                self.on_close(reason)
            except Exception:
                log.exception("on_close listener failed")

    # -- permissions ---------------------------------------------------------------------------------
    def can(self, action: Action | str) -> bool:
        return self._closed_reason is None and allowed(self.role, action)

    def authorize(self, action: Action | str, **fields: Any) -> None:
        """Check and audit one staff action; raises SessionClosed or PermissionDenied (also audited)."""
        action = Action(action)
        if not self.tick():
            raise SessionClosed(self._closed_reason or "closed")
        self._last = self._clock()
        if not allowed(self.role, action):
            self._record("staff.denied", action=str(action), role=str(self.role))
            raise PermissionDenied(f"{action} needs the administrator role")
        self._record("staff.action", action=str(action), **fields)

    def _record(self, kind: str, **fields: Any) -> None:
        if self._audit is not None:
            self._audit.record(kind, self.member_id, **fields)
