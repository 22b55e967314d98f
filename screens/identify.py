"""Identify: ID card, social-security card or a phone QR (e-ID / e-social-security code).

Only the ways whose device is ready are offered (status and capabilities, never names). The placement picture
is animated; live events from the real drivers say what is happening (placed, reading, read, removed) and
errors are said in plain words.
"""

from __future__ import annotations

from kivy.animation import Animation
from kivy.clock import Clock
from kivy.properties import BooleanProperty, StringProperty

from drivers.contract import Code
from kiosk.i18n import N_
from kiosk.privacy import mask_name
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


class IdentifyScreen(KioskScreen):
    method: str = StringProperty("")
    status_text: str = StringProperty("")
    error_text: str = StringProperty("")
    idcard_ok: bool = BooleanProperty(False)
    sscard_ok: bool = BooleanProperty(False)
    qr_ok: bool = BooleanProperty(False)

    def __init__(self, **kwargs) -> None:
        super().__init__(prompt="Choose how to prove who you are", **kwargs)
        self._scan = None
        self._animation = None

    def on_pre_enter(self, *_args: object) -> None:
        self.refresh_methods()
        self.method = ""
        self.status_text = ""
        self.error_text = ""

    def refresh_methods(self) -> None:
        services = self.app.services
        self.idcard_ok = services.ready("idcard")
        self.sscard_ok = services.ready("sscard")
        self.qr_ok = services.ready("camera", "qr")
        if not (self.idcard_ok or self.sscard_ok or self.qr_ok):
            self.error_text = self.app.core.t(
                "No way to prove who you are is working right now. Please go to the counter.")

    def on_leave(self, *_args: object) -> None:
        self._stop()

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
            camera = self.app.services.device("camera")
            self._scan = camera.scan_qr(timeout=self.resident_timeout(60))
            self._scan.add_done_callback(lambda done: Clock.schedule_once(lambda _dt: self._qr_done(done)))
        self._animate()

    def _animate(self) -> None:
        card = self.ids.card
        card.offset = 1.0
        self._animation = Animation(offset=0.0, duration=1.2, t="out_quad") + Animation(offset=0.0, duration=0.6)
        self._animation.repeat = True
        self._animation.start(card)

    def _stop(self) -> None:
        if self._animation is not None:
            self._animation.cancel(self.ids.card)
            self._animation = None
        if self._scan is not None:
            self._scan.cancel()
            self._scan = None

    # -- live events from the readers (moved onto the UI thread by the app) -------------------------
    def on_device_event(self, role: str, event) -> None:
        t = self.app.core.t
        if event.kind == "status":
            self.refresh_methods()
            return
        if role not in ("idcard", "sscard") or (self.method and self.method != role):
            return
        if event.kind in ("card_placed", "card_inserted"):
            self.method = self.method or role
            self.error_text = ""
            self.status_text = t("Card found. Reading… please leave it on the reader")
        elif event.kind == "identity_read":
            identity = event.payload["identity"]
            self.journey.identity_read(identity)
            self.status_text = t("Read: {name}").format(name=mask_name(identity.name))
            self._stop()
            Clock.schedule_once(lambda _dt: self.app.navigate("face"), 0.6)
        elif event.kind == "error":
            self.error_text = t(PLAIN_ERRORS.get(str(event.payload.get("code")), "The card could not be read. "
                                                 "Please put it on the reader again."))
        elif event.kind == "card_removed" and self.journey.session.identity is None:
            self.status_text = t("The card was taken away before it was read. Please put it back.")

    def _qr_done(self, done) -> None:
        self._scan = None
        if self.method != "qr":
            return
        if not done.ok:
            self.error_text = self.app.core.t("No code was seen. Please try again.")
            return
        self.status_text = self.app.core.t("Checking your code…")
        self.journey.identify_by_qr(done.value[0].text)

    def on_journey(self, payload: dict) -> None:
        if payload.get("what") == "verified" and self.method == "qr":
            if payload.get("ok"):
                self.app.navigate("materials")
            else:
                self.error_text = payload.get("message") or self.app.core.t(
                    self.journey.plain_reason(payload.get("reason")))

    def wipe(self) -> None:
        self._stop()
        self.method = self.status_text = self.error_text = ""
