"""The hidden gesture that opens the staff PIN pad: several quick taps in one corner.

Pure logic: the UI feeds every touch-down (its own coordinates and a monotonic time) and opens the
PIN pad when ``touch`` returns True. A tap outside the region starts over, so a resident tapping
around the screen never gets there by accident.
"""

from __future__ import annotations

from collections import deque
from typing import Literal

Region = tuple[float, float, float, float]  # x0, y0, x1, y1 (inclusive)


def corner_region(
    width: float,
    height: float,
    size: float = 120.0,
    corner: Literal["top-right", "top-left", "bottom-right", "bottom-left"] = "top-right",
    y_up: bool = True,
) -> Region:
    """A ``size``-square region in ``corner``; ``y_up`` for Kivy (origin bottom-left), False for y-down screens."""
    right = corner.endswith("right")
    top = corner.startswith("top")
    x0 = width - size if right else 0.0
    y0 = (height - size if top else 0.0) if y_up else (0.0 if top else height - size)
    return (x0, y0, x0 + size, y0 + size)


class CornerTapGesture:
    def __init__(self, region: Region, taps: int = 5, window_s: float = 3.0) -> None:
        if taps < 2 or window_s <= 0:
            raise ValueError("need at least two taps and a positive window")
        self.region = region
        self.taps = taps
        self.window_s = window_s
        self._times: deque[float] = deque()

    def reset(self) -> None:
        self._times.clear()

    def touch(self, x: float, y: float, t: float) -> bool:
        """Feed a touch-down; True exactly when it completes the gesture (which then starts over)."""
        x0, y0, x1, y1 = self.region
        if not (x0 <= x <= x1 and y0 <= y <= y1):
            self._times.clear()
            return False
        if self._times and t < self._times[-1]:
            self._times.clear()  # time went backwards: do not trust the earlier taps
        self._times.append(t)
        while self._times and t - self._times[0] > self.window_s:
            self._times.popleft()
        if len(self._times) >= self.taps:
            self._times.clear()
            return True
        return False
