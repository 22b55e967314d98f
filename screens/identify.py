"""Identify: ID card, social-security card or a phone QR (e-ID / e-social-security code).

Only the ways whose device is ready are offered (status and capabilities, never names). The placement picture
is animated; live events from the real drivers say what is happening (placed, reading, read, removed) and
errors are said in plain words.
"""

from __future__ import annotations

from typing import Any

from kivy.properties import BooleanProperty, StringProperty

from drivers.contract import Code
from kiosk.i18n import N_
from screens.card_animation import CardAnimation
from screens.widgets import KioskScreen

# Completion / event codes in plain words (message ids).
PLAIN_ERRORS = {
    str(Code.MEDIA_REMOVED): N_("The card was moved while it was being read. Please leave it still on the reader."),
    str(Code.INVALID_DATA): N_("The card could not be read. Please put it on the reader again."),
    str(Code.TIMEOUT): N_("The card could not be read in time. Please put it on the reader again."),
    str(Code.NOT_AUTHORISED): N_("The reader is not working. Please go to the counter."),
    str(Code.HARDWARE_ERROR): N_("The reader is not working. Please go to the counter."),
    str(Code.DEVICE_NOT_READY): N_("The reader is not working. Please go to the counter."),
}
METHODS = ("idcard", "sscard", "qr")
CARD_WAITING = N_("A card is already on the reader. First choose: for yourself, or for someone else?")


class IdentifyScreen(CardAnimation, KioskScreen):
    method: str = StringProperty("")
    status_text: str = StringProperty("")
    error_text: str = StringProperty("")
    idcard_ok: bool = BooleanProperty(False)
    sscard_ok: bool = BooleanProperty(False)
    qr_ok: bool = BooleanProperty(False)
    for_other: bool = BooleanProperty(False)  # 代他人办理 chosen: the person identifying now is the agent
    can_choose: bool = BooleanProperty(False)  # a service is chosen: 本人办理 / 代他人办理 is offered
    # a card lay on the reader when the screen opened: read once the resident said for whom (本人 / 代他人)
    card_waiting: bool = BooleanProperty(False)

    def __init__(self, **kwargs) -> None:
        super().__init__(prompt="Choose how to prove who you are", **kwargs)

    def on_pre_enter(self, *_args: object) -> None:
        self.refresh_methods()
        self.method = ""
        self.status_text = ""
        self.error_text = ""
        self.journey.card_roles = frozenset(("idcard", "sscard"))  # a card placed without choosing counts too
        self.can_choose = self.journey.session.target is not None and not self.journey.verified
        self.for_other = self.journey.session.for_other
        self.card_waiting = False
        if self.can_choose and self.journey.agent_allowed and self.journey.card_lying():
            # put down before the resident could say whether it is for them or for someone else: ask first
            self.card_waiting = True  # the question shows above the two choices (identify.kv who_question)
            self.app.say(CARD_WAITING)
        else:
            self.journey.read_lying_cards()  # one put down before this screen asked for it counts as placed now

    def on_card_waiting(self, *_args: object) -> None:
        """A card already lies on the reader: the picture shows it lying there, not being put down."""
        if self.card_waiting:
            if self._animation is not None:
                self._animation.cancel(self.ids.card)
                self._animation = None
            self.ids.card.offset = 0.0

    def choose_applicant(self, for_other: bool) -> None:
        """本人办理 / 代他人办理: for someone else, the agent identifies first, then the principal's screen."""
        t = self.app.core.t
        problem = self.journey.apply_for_other(for_other)
        if problem is not None:
            self.error_text = t(problem)
            self.app.say(problem)
            return
        self.for_other, self.error_text = for_other, ""
        reading = self._read_waiting_card()
        if for_other:
            self.app.say("You apply for someone else. First prove who you are, then the person you apply for")
        elif reading:
            self.app.say("Card found. Reading… please leave it on the reader")
        else:
            self.app.say("You apply for yourself. Choose how to prove who you are")

    def refresh_methods(self) -> None:
        journey = self.journey
        self.idcard_ok = journey.ready("idcard")
        self.sscard_ok = journey.ready("sscard")
        self.qr_ok = journey.ready("camera", "qr")
        if not (self.idcard_ok or self.sscard_ok or self.qr_ok):
            self.error_text = self.app.core.t(
                "No way to prove who you are is working right now. Please go to the counter.")

    def on_leave(self, *_args: object) -> None:
        self._stop()
        self.journey.card_roles = frozenset()

    def choose(self, method: str) -> None:
        t = self.app.core.t
        self._stop()
        self.method, self.error_text = method, ""
        if method == "idcard":
            self.status_text = t("Put your ID card flat on the reader below the screen")
            self.app.say("Put your ID card flat on the reader below the screen")
        elif method == "sscard":
            self.status_text = t("Insert your social security card, chip first")
            self.app.say("Insert your social security card, chip first")
        else:
            self.status_text = t("Open the e-ID code on your phone and hold it in front of the camera")
            self.app.say("Open the e-ID code on your phone and hold it in front of the camera")
            self.journey.scan_identity_qr()
        self.journey.card_roles = frozenset((method,)) if method in ("idcard", "sscard") else frozenset()
        self._animate()

    def _read_waiting_card(self) -> bool:
        """The resident answered for whom: the card that lay on the reader is read now (True when one was)."""
        if not self.card_waiting:
            return False
        self.card_waiting = False
        self.status_text = self.app.core.t("Card found. Reading… please leave it on the reader")
        self.journey.read_lying_cards()
        return True

    # -- what the journey hears from the readers and the camera (on the UI thread) -------------------------
    def on_journey(self, payload: dict[str, Any]) -> None:
        t = self.app.core.t
        what = payload.get("what")
        if what == "devices":
            self.refresh_methods()
        elif what == "card" and (not self.method or self.method == payload.get("role")):
            self._card_event(str(payload.get("event")), payload)
        elif what == "identity" and self.method != "qr":
            self.status_text = t("Read: {name}").format(name=payload.get("masked_name", ""))
            self._move_on("face")
        elif what == "qr_read" and self.method == "qr":
            self.status_text = t("Checking your code…")
        elif what == "qr_failed" and self.method == "qr":
            self.error_text = t("No code was seen. Please try again.")
        elif what == "verified" and self.method == "qr":
            if payload.get("ok"):
                self.app.navigate(self.journey.after_verified())
            else:
                self.error_text = t(payload.get("message") or self.journey.plain_reason(payload.get("reason")))

    def _card_event(self, event: str, payload: dict[str, Any]) -> None:
        t = self.app.core.t
        if event in ("card_placed", "card_inserted"):
            self.method = self.method or str(payload.get("role"))
            self.error_text = ""
            self.status_text = t("Card found. Reading… please leave it on the reader")
        elif event == "error":
            self.error_text = t(PLAIN_ERRORS.get(str(payload.get("code")), N_(
                "The card could not be read. Please put it on the reader again.")))
        elif event == "card_removed":
            self.card_waiting = False  # put down again, it is read at once: for whom the ✓ says
            self.status_text = t("The card was taken away before it was read. Please put it back.")

    def wipe(self) -> None:
        self._stop()
        self.method = self.status_text = self.error_text = ""
        self.for_other = self.card_waiting = False
