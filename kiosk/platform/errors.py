"""How a failed platform call is classified, per the contract.

- :class:`RetryableError`: 408, 425, 429, 5xx, timeouts, dropped connections and answers that cannot be
  parsed (the request may or may not have been applied; repeating it with the same Idempotency-Key is safe).
  ``retry_after`` carries the server's Retry-After in seconds when it sent one.
- :class:`PermanentError`: 409, 422 and every other 4xx: repeating the same request cannot succeed.
- :class:`CredentialError`: 401/403: the kiosk's device token or id is wrong; stop sending, alert staff.
"""

from __future__ import annotations

import datetime as dt
import email.utils


class PlatformError(Exception):
    retryable = False

    def __init__(
        self,
        message: str,
        *,
        status: int | None = None,
        code: str = "",
        fields: dict[str, str] | None = None,
        retry_after: float | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.status = status
        self.code = code
        self.fields = fields or {}
        self.retry_after = retry_after

    def summary(self) -> str:
        """One line for logs and the staff list; carries no personal data (the platform's messages name fields)."""
        parts = [type(self).__name__]
        if self.status is not None:
            parts.append(str(self.status))
        if self.code:
            parts.append(self.code)
        text = " ".join(parts) + f": {self.message}"
        if self.fields:
            text += " [" + ", ".join(f"{k}: {v}" for k, v in sorted(self.fields.items())) + "]"
        return text[:500]


class RetryableError(PlatformError):
    retryable = True


class MalformedAnswer(RetryableError):
    """A 2xx whose body breaks the contract (bad JSON, missing fields, wrong types, an error body)."""


class PermanentError(PlatformError):
    pass


class CredentialError(PlatformError):
    pass


RETRYABLE_STATUSES = frozenset({408, 425, 429})


def classify(status: int) -> type[PlatformError]:
    if status in (401, 403):
        return CredentialError
    if status in RETRYABLE_STATUSES or 500 <= status <= 599:
        return RetryableError
    return PermanentError


def parse_retry_after(value: str | None, now: dt.datetime | None = None) -> float | None:
    """Retry-After as seconds ≥ 0: delta-seconds or an HTTP-date; None when absent or unreadable."""
    if not value:
        return None
    value = value.strip()
    if value.isascii() and value.isdigit():  # str.isdigit() also accepts "²", which int() refuses
        return float(min(int(value), 24 * 3600))
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=dt.UTC)
    now = now or dt.datetime.now(dt.UTC)
    return max(0.0, min((when - now).total_seconds(), 24 * 3600.0))
