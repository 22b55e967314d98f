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
        session_id = self.journey.session.id
        self._event = Clock.schedule_once(lambda _dt: self._timed_out(session_id), GOODBYE_S)

    def _timed_out(self, session_id: str) -> None:
        """End the session this screen said goodbye to, and only while it is shown: a timer that outlived its
        screen (left in the middle of a transition) once ended the next resident's session 6 s into it."""
        if self.journey.session.id == session_id and self.manager is not None and self.manager.current == self.name:
            self.finish()

    def on_leave(self, *_args: object) -> None:
        if self._event is not None:
            self._event.cancel()
            self._event = None

    def finish(self) -> None:
        self.journey.end(EndReason.DONE)
