"""Staff sign-in: a PIN (after the hidden gesture, or after a registered staff card), the lockout,
and the audit of every attempt.

Lockouts are per way in, so a stranger cannot lock every staff member out: wrong PINs after a staff
card count against that member only; wrong PINs after the hidden gesture (the PIN alone, whoever it is)
count against the gesture. ``max_failures`` wrong PINs in a row lock that way in for ``lockout_s``,
doubling at each further lock (back-off, at most a day) until a good sign-in on it; a member with a
staff card still gets in while the gesture is locked. The state lives in a small JSON file in the
data folder, written atomically and fsynced, so neither a restart nor a power cut clears it. It runs on
the wall clock (monotonic time does not survive a reboot); if the clock is set back, a lock never lasts
longer than its duration from now. Every attempt is audited; when the audit trail cannot be written
(full disk) sign-in is refused with :attr:`Outcome.UNAVAILABLE`, never left hanging.
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

from kiosk.audit import AuditTrail, AuditUnavailable
from kiosk.config.schema import StaffMember, StaffSection
from kiosk.staff.pins import hash_card, verify_pin
from kiosk.staff.session import StaffSession

log = logging.getLogger(__name__)

STATE_FILE = "staff-lockout.json"
GESTURE = "gesture"  # the PIN alone, after the hidden gesture
ALL = "*"  # the state file was unreadable: every way in, once
MAX_LOCK_S = 86400.0


@dataclass
class _Bucket:
    failures: int = 0
    locked_until: float | None = None
    lockouts: int = 0  # locks since the last good sign-in: the back-off exponent

    def to_json(self) -> dict[str, object]:
        return {"failures": self.failures, "locked_until": self.locked_until, "lockouts": self.lockouts}


class Outcome(enum.StrEnum):
    OK = "ok"
    WRONG_PIN = "wrong_pin"
    LOCKED = "locked"  # refused without looking at the PIN
    NO_STAFF = "no_staff"  # nobody is configured, so nobody can sign in
    UNAVAILABLE = "unavailable"  # the attempt could not be recorded (full disk): refused


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
        self._buckets: dict[str, _Bucket] = self._load()

    # -- entry ---------------------------------------------------------------------------------------
    def identify_card(self, card_number: str) -> StaffMember | None:
        """The member a staff card belongs to (then ask for their PIN), or None; audited either way."""
        digest = hash_card(card_number)
        member = next((m for m in self.config.members if m.card_hash == digest), None)
        try:
            if member is None:
                self._record("staff.card", "unknown", result="unknown_card", card=digest[:12])
            else:
                self._record("staff.card", member.id, result="known")
        except AuditUnavailable:
            log.error("staff card not audited (audit trail unavailable)")
        return member

    def lock_duration(self, lockouts: int) -> float:
        """How long the ``lockouts``-th lock in a row lasts: lockout_s, doubling, at most a day."""
        return min(float(self.config.lockout_s) * 2 ** max(0, lockouts - 1), max(MAX_LOCK_S, self.config.lockout_s))

    def retry_in_s(self, member_id: str | None = None) -> float:
        """Seconds until this way in (a member's card, or the gesture when None) unlocks; 0 when open."""
        return max(self._left(ALL), self._left(self._key(member_id)))

    def login(
        self, pin: str, member_id: str | None = None, on_close: Callable[[str], None] | None = None
    ) -> LoginResult:
        """Check ``pin`` for ``member_id`` (known from a staff card) or, after the gesture, for any member."""
        try:
            return self._login(pin, member_id, on_close)
        except AuditUnavailable as error:
            log.error("staff sign-in refused: %s", error)
            return LoginResult(Outcome.UNAVAILABLE)

    def _login(self, pin: str, member_id: str | None, on_close: Callable[[str], None] | None) -> LoginResult:
        method = "card" if member_id is not None else "gesture"
        key = self._key(member_id)
        left = self.retry_in_s(member_id)
        if left > 0:
            self._record("staff.login", member_id or "unknown", result="locked", method=method)
            return LoginResult(Outcome.LOCKED, failures=self._bucket(key).failures, retry_in_s=left)
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
            return self._failed(key, member_id, method)
        self._record("staff.login", member.id, result="ok", method=method, role=member.role)
        self._buckets.pop(key, None)
        self._save()
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

    def _failed(self, key: str, member_id: str | None, method: str) -> LoginResult:
        bucket = self._bucket(key)
        bucket.failures += 1
        self._save()
        self._record("staff.login", member_id or "unknown", result="wrong_pin", method=method, failures=bucket.failures)
        if bucket.failures >= self.config.max_failures:
            bucket.lockouts += 1
            seconds = self.lock_duration(bucket.lockouts)
            bucket.locked_until = self._clock() + seconds
            self._save()
            self._record("staff.lockout", "system", failures=bucket.failures, seconds=round(seconds), way=method,
                         **({"member": member_id} if member_id else {}))  # fmt: skip
            return LoginResult(Outcome.LOCKED, failures=bucket.failures, retry_in_s=seconds)
        return LoginResult(Outcome.WRONG_PIN, failures=bucket.failures)

    # -- the buckets ---------------------------------------------------------------------------------
    @staticmethod
    def _key(member_id: str | None) -> str:
        return GESTURE if member_id is None else f"member:{member_id}"

    def _bucket(self, key: str) -> _Bucket:
        return self._buckets.setdefault(key, _Bucket())

    def _left(self, key: str) -> float:
        bucket = self._buckets.get(key)
        if bucket is None or bucket.locked_until is None:
            return 0.0
        now = self._clock()
        longest = self.lock_duration(bucket.lockouts)
        if bucket.locked_until - now > longest:  # the clock went back
            bucket.locked_until = now + longest
            self._save()
        left = bucket.locked_until - now
        if left <= 0:
            bucket.failures, bucket.locked_until = 0, None
            if key == ALL:
                del self._buckets[key]
            self._save()
            try:
                self._record("staff.unlocked", "system", way=key.partition(":")[0])
            except AuditUnavailable:
                log.error("staff unlock not audited (audit trail unavailable)")
            return 0.0
        return left

    # -- persistence ---------------------------------------------------------------------------------
    def _load(self) -> dict[str, _Bucket]:
        try:
            data = json.loads(self._path.read_text("utf-8"))
            if "buckets" not in data:  # the one kiosk-wide lock of earlier versions: it was the gesture's
                data = {"buckets": {GESTURE: data}}
            buckets = {}
            for key, value in data["buckets"].items():
                locked_until = value["locked_until"]
                buckets[str(key)] = _Bucket(
                    max(0, int(value["failures"])),
                    None if locked_until is None else float(locked_until),
                    max(0, int(value.get("lockouts", 1 if locked_until is not None else 0))),
                )
            return buckets
        except FileNotFoundError:
            return {}
        except (OSError, ValueError, KeyError, TypeError, AttributeError):
            # Fail closed: a damaged lockout file must not become a way to clear a lockout.
            log.warning("staff lockout state unreadable; locking the menu for %s s", self.config.lockout_s)
            self._buckets = {ALL: _Bucket(self.config.max_failures, self._clock() + self.config.lockout_s, 1)}
            self._save()
            try:
                self._record("staff.lockout", "system", reason="state_unreadable", seconds=self.config.lockout_s)
            except AuditUnavailable:
                log.error("staff lockout not audited (audit trail unavailable)")
            return self._buckets

    def _save(self) -> None:
        try:
            self._path.parent.mkdir(parents=True, exist_ok=True)
            tmp = self._path.with_suffix(".tmp")
            with tmp.open("w", encoding="utf-8") as handle:
                json.dump({"buckets": {k: b.to_json() for k, b in self._buckets.items()}}, handle)
                handle.flush()
                os.fsync(handle.fileno())
            os.replace(tmp, self._path)
            dir_fd = os.open(self._path.parent, os.O_RDONLY)
            try:
                os.fsync(dir_fd)  # make the rename itself survive a power cut
            finally:
                os.close(dir_fd)
        except OSError as error:  # full disk: the lock holds in memory; refuse rather than hang or crash
            raise AuditUnavailable(f"staff lockout state not saved: {error.strerror or error}") from error

    def _record(self, kind: str, actor: str, **fields: object) -> None:
        if self._audit is not None:
            self._audit.record(kind, actor, **fields)
