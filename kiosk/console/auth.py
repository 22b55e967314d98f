"""Operator accounts: argon2id password hashes (argon2-cffi's defaults), a lock-out after repeated failures.

Sessions and CSRF tokens live in the store (only a hash of the session cookie is kept); kiosk tokens are checked
by ``Store.check_kiosk_token``.
"""

from __future__ import annotations

import threading
import time

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from kiosk.console.store import Store

MIN_PASSWORD = 10
FAILURES_BEFORE_LOCK = 5
LOCK_S = 60.0

_hasher = PasswordHasher()  # argon2id, RFC 9106 low-memory profile
# Verifying an unknown name still costs one hash, so response time does not tell which names exist.
_DUMMY = _hasher.hash("not a password of anyone")


def hash_password(password: str) -> str:
    if len(password) < MIN_PASSWORD:
        raise ValueError(f"a password needs at least {MIN_PASSWORD} characters")
    return _hasher.hash(password)


class Accounts:
    def __init__(self, store: Store) -> None:
        self.store = store
        self._failures: dict[str, tuple[int, float]] = {}
        self._lock = threading.Lock()

    def locked_for(self, name: str) -> float:
        with self._lock:
            count, since = self._failures.get(name, (0, 0.0))
        if count < FAILURES_BEFORE_LOCK:
            return 0.0
        return max(0.0, since + LOCK_S - time.monotonic())

    def check(self, name: str, password: str) -> dict[str, str] | None:
        """The operator (name, role) when the password is right and the name is not locked out."""
        if self.locked_for(name):
            return None
        operator = self.store.operator(name)
        try:
            _hasher.verify(operator["password_hash"] if operator else _DUMMY, password)
            ok = operator is not None
        except (VerificationError, InvalidHashError):
            ok = False
        with self._lock:
            if not ok:
                count, _ = self._failures.get(name, (0, 0.0))
                self._failures[name] = (count + 1, time.monotonic())
                return None
            self._failures.pop(name, None)
        assert operator is not None
        if _hasher.check_needs_rehash(operator["password_hash"]):
            self.store.set_password_hash(name, _hasher.hash(password))
        return {"name": operator["name"], "role": operator["role"]}
