"""The kiosk core the UI is a view over: settings, language, elder mode, idle timer, events.

Everything here runs headless; screens subscribe to events and call these methods.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

from kiosk.config import LoadedConfig, Settings
from kiosk.i18n import LANGUAGES, translator
from kiosk.idle import IdleTimer

log = logging.getLogger(__name__)

Listener = Callable[[str, dict[str, Any]], None]


class Kiosk:
    def __init__(self, config: LoadedConfig, data_dir: Path) -> None:
        self.config = config
        self.data_dir = data_dir
        self.language = self.settings.kiosk.language
        self.elder_mode = self.settings.elder.default_on
        self.idle = IdleTimer(self.settings.idle.timeout_s, self.settings.idle.warning_s)
        self._listeners: list[Listener] = []
        self._lock = threading.Lock()
        self._apply_elder_timeouts()

    @property
    def settings(self) -> Settings:
        return self.config.settings

    def t(self, message: str) -> str:
        """Translate a UI message into the current language ("" stays "": gettext would return the header)."""
        return translator(self.language)(message) if message else ""

    # -- events ------------------------------------------------------------------------
    def subscribe(self, listener: Listener) -> Callable[[], None]:
        with self._lock:
            self._listeners.append(listener)
        return lambda: self._listeners.remove(listener) if listener in self._listeners else None

    def emit(self, kind: str, **payload: Any) -> None:
        with self._lock:
            listeners = list(self._listeners)
        for listener in listeners:
            try:
                listener(kind, payload)
            except Exception:
                log.exception("listener failed for event %s", kind)

    # -- resident choices -----------------------------------------------------------------
    def set_language(self, language: str) -> None:
        if language not in LANGUAGES:
            raise ValueError(f"unsupported language {language!r}")
        self.language = language
        self.emit("language", language=language)

    def set_elder_mode(self, on: bool) -> None:
        self.elder_mode = on
        self._apply_elder_timeouts()
        self.emit("elder_mode", on=on)

    def _apply_elder_timeouts(self) -> None:
        self.idle.set_factor(self.settings.elder.timeout_factor if self.elder_mode else 1.0)
