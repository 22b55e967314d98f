"""Waiting for an event in tests that run beside other loads: poll a condition, never sleep a fixed time."""

from __future__ import annotations

import time
from collections.abc import Callable


def wait_for(condition: Callable[[], object], timeout: float = 30.0) -> bool:
    """True as soon as ``condition()`` is truthy; False after ``timeout`` seconds without that."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.05)
    return False
