"""Goodbye: a last word, then the session is wiped and the kiosk returns home on its own."""

from __future__ import annotations

from typing import Any

from kivy.clock import Clock
from kivy.properties import BooleanProperty, StringProperty

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
# The resident leaves while their application is kept in memory (a full disk, journey.Session.held): it has no
# reference until it is saved, so they are told how to find it without one; once saved (while this screen shows),
# its number. Longer on the screen: there is more to read.
KEPT = N_("Your application is kept by this machine and will be sent by itself as soon as there is room. "
          "You do not need to come again.")
KEPT_FOLLOW = N_("It has no number yet. To follow it later, touch Track an application on the home screen and put "
                 "your ID card on the reader, or call {hotline}.")
KEPT_SAVED = N_("Your application is saved now and will be sent by itself. Its number is below: touch Track an "
                "application on the home screen and type it, or put your ID card on the reader, or call {hotline}.")
KEPT_SENT = N_("Your application has been sent. Its number is below: touch Track an application on the home screen "
               "and type it, or put your ID card on the reader, or call {hotline}.")
KEPT_SAVED_SAY = N_("Your application is saved. Please note its number")
KEPT_S = 30.0


class GoodbyeScreen(KioskScreen):
    take_text: str = StringProperty("")  # a msgid: what to take (none after a guide read on the screen)
    kept: bool = BooleanProperty(False)  # the resident's application is kept by the kiosk (a full disk)
    number: str = StringProperty("")  # … and was saved while this screen showed: its reference
    sent: bool = BooleanProperty(False)  # … and the platform already answered with its own number

    def __init__(self, **kwargs) -> None:
        super().__init__(prompt="Thank you", **kwargs)
        self._event = None

    def on_pre_enter(self, *_args: object) -> None:
        """A guide read or a progress looked up by number leaves nothing to take: say only what fits."""
        self.take_text, self.prompt = TAKE[self.journey.take_away()]
        self.kept = self.journey.session.held
        if self.kept:
            self.prompt = KEPT

    def kept_text(self, _lang: str, kept: bool, number: str, sent: bool) -> str:
        """What happens to the kept application and how to follow it, in the resident's language."""
        if not kept:
            return ""
        hotline = self.app.core.settings.routing.hotline
        if number:
            return self.app.t(KEPT_SENT if sent else KEPT_SAVED).format(hotline=hotline)
        return self.app.t(KEPT) + "\n\n" + self.app.t(KEPT_FOLLOW).format(hotline=hotline)

    def on_journey(self, payload: dict[str, Any]) -> None:
        """The kept application was saved while the resident reads this: now it has a number to note."""
        if payload.get("what") == "submitted" and self.kept:
            self.number, self.sent = str(payload.get("number") or ""), not payload.get("queued", True)
            self.app.say(KEPT_SAVED_SAY)

    def on_enter(self, *args: object) -> None:
        super().on_enter(*args)
        session_id = self.journey.session.id
        self._event = Clock.schedule_once(lambda _dt: self._timed_out(session_id), KEPT_S if self.kept else GOODBYE_S)

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

    def wipe(self) -> None:
        super().wipe()
        self.kept, self.number, self.sent = False, "", False
