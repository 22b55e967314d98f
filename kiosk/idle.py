"""The idle timer of a resident session: a warning ("还需要更多时间吗？"), then expiry and a full wipe.

Pure logic with an injectable clock, so the UI only feeds it touches and ticks and tests advance time.
"""

from __future__ import annotations

import enum
import time
from collections.abc import Callable
from dataclasses import dataclass


class IdlePhase(enum.StrEnum):
    ACTIVE = "active"
    WARNING = "warning"
    EXPIRED = "expired"


@dataclass(frozen=True)
class IdleState:
    phase: IdlePhase
    seconds_left: float  # until expiry


class IdleTimer:
    def __init__(self, timeout_s: float, warning_s: float, clock: Callable[[], float] = time.monotonic) -> None:
        if not 0 < warning_s < timeout_s:
            raise ValueError("need 0 < warning_s < timeout_s")
        self._timeout = timeout_s
        self._warning = warning_s
        self._factor = 1.0
        self._clock = clock
        self._last = clock()

    @property
    def timeout_s(self) -> float:
        return self._timeout * self._factor

    def set_factor(self, factor: float) -> None:
        """Elder mode doubles timeouts; the warning window grows with them."""
        self._factor = factor

    def activity(self) -> None:
        self._last = self._clock()

    def leave_for(self, seconds_left: float) -> None:
        """As if the resident had not touched the screen until only ``seconds_left`` remain (``kiosk demo``
        shows the real warning this way)."""
        self._last = self._clock() - (self.timeout_s - seconds_left)

    def state(self) -> IdleState:
        left = self.timeout_s - (self._clock() - self._last)
        if left <= 0:
            return IdleState(IdlePhase.EXPIRED, 0.0)
        if left <= self._warning * self._factor:
            return IdleState(IdlePhase.WARNING, left)
        return IdleState(IdlePhase.ACTIVE, left)
