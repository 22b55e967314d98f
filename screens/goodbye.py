"""Goodbye: a last word, then the session is wiped and the kiosk returns home on its own."""

from __future__ import annotations

from kivy.clock import Clock
from kivy.properties import StringProperty

from kiosk.i18n import N_
from kiosk.journey import EndReason
from screens.widgets import KioskScreen

GOODBYE_S = 6.0
# What to take, by what the resident did (journey.take_away: a card was read, what was printed) → (the words on
# the screen, the voice). A guide read, a progress lookup by number, a receipt shown on the screen: nothing to take.
TAKE = {
    (True, "receipt"): (N_("Please take your card and your receipt."),
                        N_("Thank you. Please take your card and your receipt")),
    (True, "sample"): (N_("Please take your card and the printed sample form."),
                       N_("Thank you. Please take your card and the sample form")),
    (True, None): (N_("Please take your card."), N_("Thank you. Please take your card")),
    (False, "receipt"): (N_("Please take your receipt from the printer slot."),
                         N_("Thank you. Please take your receipt")),
    (False, "sample"): (N_("Please take the printed sample form from the printer slot."),
                        N_("Thank you. Please take the sample form")),
    (False, None): ("", N_("Thank you")),
}  # fmt: skip
ERASED = N_("Everything you entered is now erased from this machine.")


class GoodbyeScreen(KioskScreen):
    take_text: str = StringProperty("")  # a msgid: what to take (none after a guide read on the screen)

    def __init__(self, **kwargs) -> None:
        super().__init__(prompt="Thank you", **kwargs)
        self._event = None

    def on_pre_enter(self, *_args: object) -> None:
        """A guide read or a progress looked up by number leaves nothing to take: say only what fits."""
        self.take_text, self.prompt = TAKE[self.journey.take_away()]

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
