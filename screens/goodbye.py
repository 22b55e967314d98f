"""Goodbye: a last word, then the session is wiped and the kiosk returns home on its own."""

from __future__ import annotations

from kivy.clock import Clock

from kiosk.journey import EndReason
from screens.widgets import KioskScreen

GOODBYE_S = 6.0


class GoodbyeScreen(KioskScreen):
    def __init__(self, **kwargs) -> None:
        super().__init__(prompt="Thank you. Please take your card and your receipt", **kwargs)
        self._event = None

    def on_enter(self, *args: object) -> None:
        super().on_enter(*args)
        self._event = Clock.schedule_once(lambda _dt: self.finish(), GOODBYE_S)

    def on_leave(self, *_args: object) -> None:
        if self._event is not None:
            self._event.cancel()
            self._event = None

    def finish(self) -> None:
        self.journey.end(EndReason.DONE)
