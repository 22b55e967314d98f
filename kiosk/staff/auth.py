"""Staff sign-in: a PIN (after the hidden gesture, or after a registered staff card), the lockout,
and the audit of every attempt.

``max_failures`` wrong PINs in a row lock the menu for ``lockout_s``. The lockout state lives in a
small JSON file in the data folder, written atomically and fsynced, so neither a restart nor a
power cut clears it. It runs on the wall clock (monotonic time does not survive a reboot); if the
clock is set back, a lock never lasts longer than ``lockout_s`` from now.
"""

from __future__ import annotations

import enum
import json
import logging
import os
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from kiosk.audit import AuditTrail
from kiosk.config.schema import StaffMember, StaffSection
from kiosk.staff.pins import hash_card, verify_pin
from kiosk.staff.session import StaffSession

log = logging.getLogger(__name__)

STATE_FILE = "staff-lockout.json"


class Outcome(enum.StrEnum):
    OK = "ok"
    WRONG_PIN = "wrong_pin"
    LOCKED = "locked"  # refused without looking at the PIN
    NO_STAFF = "no_staff"  # nobody is configured, so nobody can sign in


@dataclass(frozen=True)
class LoginResult:
    outcome: Outcome
    session: StaffSession | None = None
    failures: int = 0  # wrong PINs in a row so far
    retry_in_s: float = 0.0  # while locked: seconds until the menu unlocks

    @property
    def ok(self) -> bool:
        return self.outcome is Outcome.OK


class StaffAuth:
    def __init__(
        self,
        config: StaffSection,
        data_dir: Path,
        audit: AuditTrail | None = None,
        clock: Callable[[], float] = time.time,
        session_clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.config = config
        self._path = Path(data_dir) / STATE_FILE
        self._audit = audit
        self._clock = clock
        self._session_clock = session_clock
        self._failures, self._locked_until = self._load()

    # -- entry ---------------------------------------------------------------------------------------
    def identify_card(self, card_number: str) -> StaffMember | None:
        """The member a staff card belongs to (then ask for their PIN), or None; audited either way."""
        digest = hash_card(card_number)
        member = next((m for m in self.config.members if m.card_hash == digest), None)
        if member is None:
            self._record("staff.card", "unknown", result="unknown_card", card=digest[:12])
        else:
            self._record("staff.card", member.id, result="known")
        return member

    def retry_in_s(self) -> float:
        """Seconds until the menu unlocks (0 when it is not locked)."""
        if self._locked_until is None:
            return 0.0
        now = self._clock()
        if self._locked_until - now > self.config.lockout_s:  # the clock went back
            self._locked_until = now + self.config.lockout_s
            self._save()
        left = self._locked_until - now
        if left <= 0:
            self._failures, self._locked_until = 0, None
            self._save()
            self._record("staff.unlocked", "system")
            return 0.0
        return left

    def login(
        self, pin: str, member_id: str | None = None, on_close: Callable[[str], None] | None = None
    ) -> LoginResult:
        """Check ``pin`` for ``member_id`` (known from a staff card) or, after the gesture, for any member."""
        method = "card" if member_id is not None else "gesture"
        left = self.retry_in_s()
        if left > 0:
            self._record("staff.login", member_id or "unknown", result="locked", method=method)
            return LoginResult(Outcome.LOCKED, failures=self._failures, retry_in_s=left)
        candidates = [m for m in self.config.members if member_id is None or m.id == member_id]
        if not self.config.members:
            verify_pin(None, pin)
            self._record("staff.login", "unknown", result="no_staff", method=method)
            return LoginResult(Outcome.NO_STAFF)
        if candidates:
            # Every candidate's hash is checked even after a match, so the time taken says nothing about who matched.
            matched = [m for m in candidates if verify_pin(m.pin_hash, pin)]
        else:
            verify_pin(None, pin)  # an unknown member id costs the same as a wrong PIN
            matched = []
        member = matched[0] if matched else None
        if member is None:
            return self._failed(member_id, method)
        self._failures, self._locked_until = 0, None
        self._save()
        self._record("staff.login", member.id, result="ok", method=method, role=member.role)
        session = StaffSession(
            member.id,
            member.role,
            self.config.menu_idle_timeout_s,
            audit=self._audit,
            clock=self._session_clock,
            on_close=on_close,
            display_name=member.display_name,
        )
        return LoginResult(Outcome.OK, session=session)

    def _failed(self, member_id: str | None, method: str) -> LoginResult:
        self._failures += 1
        self._record("staff.login", member_id or "unknown", result="wrong_pin", method=method, failures=self._failures)
        if self._failures >= self.config.max_failures:
            self._locked_until = self._clock() + self.config.lockout_s
            self._save()
            self._record("staff.lockout", "system", failures=self._failures, seconds=self.config.lockout_s)
            return LoginResult(Outcome.LOCKED, failures=self._failures, retry_in_s=float(self.config.lockout_s))
        self._save()
        return LoginResult(Outcome.WRONG_PIN, failures=self._failures)

    # -- persistence ---------------------------------------------------------------------------------
    def _load(self) -> tuple[int, float | None]:
        try:
            data = json.loads(self._path.read_text("utf-8"))
            failures, locked_until = int(data["failures"]), data["locked_until"]
            if locked_until is not None:
                locked_until = float(locked_until)
            return max(0, failures), locked_until
        except FileNotFoundError:
            return 0, None
        except (OSError, ValueError, KeyError, TypeError):
            # Fail closed: a damaged lockout file must not become a way to clear a lockout.
            log.warning("staff lockout state unreadable; locking the menu for %s s", self.config.lockout_s)
            locked_until = self._clock() + self.config.lockout_s
            self._failures, self._locked_until = self.config.max_failures, locked_until
            self._save()
            self._record("staff.lockout", "system", reason="state_unreadable", seconds=self.config.lockout_s)
            return self.config.max_failures, locked_until

    def _save(self) -> None:
        self._path.parent.mkdir(parents=True, exist_ok=True)
        tmp = self._path.with_suffix(".tmp")
        with tmp.open("w", encoding="utf-8") as handle:
            json.dump({"failures": self._failures, "locked_until": self._locked_until}, handle)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, self._path)
        dir_fd = os.open(self._path.parent, os.O_RDONLY)
        try:
            os.fsync(dir_fd)  # make the rename itself survive a power cut
        finally:
            os.close(dir_fd)

    def _record(self, kind: str, actor: str, **fields: object) -> None:
        if self._audit is not None:
            self._audit.record(kind, actor, **fields)
