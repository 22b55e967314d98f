"""Typed change events: the core and the journey announce what changed; consumers subscribe, nobody keeps a copy.

A :class:`Signal` carries one value type (``Signal[Hardware | None]``); ``connect`` returns the function that
disconnects. Listeners run on the thread that fires; a UI moves the work onto its own thread itself
(``screens`` does it in one place, ``TongbanApp.on_ui_thread``). A failing listener is logged and the others
still run: one broken consumer must not keep the journey from hearing that the printer was replaced.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from typing import Generic, TypeVar

log = logging.getLogger(__name__)

T = TypeVar("T")


class Signal(Generic[T]):
    def __init__(self, name: str) -> None:
        self.name = name
        self._listeners: list[Callable[[T], None]] = []
        self._lock = threading.Lock()

    def connect(self, listener: Callable[[T], None]) -> Callable[[], None]:
        with self._lock:
            self._listeners.append(listener)

        def disconnect() -> None:
            with self._lock:
                if listener in self._listeners:
                    self._listeners.remove(listener)

        return disconnect

    def fire(self, value: T) -> None:
        with self._lock:
            listeners = list(self._listeners)
        for listener in listeners:
            try:
                listener(value)
            except Exception:
                log.exception("a listener of %s failed", self.name)
