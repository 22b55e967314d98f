"""Face capture for the real-name check: live preview with an oval to fill, guidance in plain words per frame,
then the platform compares the photo with the card. Without a working camera the check goes on without a photo."""

from __future__ import annotations

from kivy.clock import Clock
from kivy.properties import BooleanProperty, StringProperty

from kiosk.i18n import N_
from screens.widgets import KioskScreen

GUIDANCE = {
    "ok": N_("Hold still…"),
    "no_face": N_("Look straight at the camera"),
    "many_faces": N_("Only one person in front of the camera, please"),
    "too_far": N_("Come a little closer"),
    "too_close": N_("Move back a little"),
    "off_centre": N_("Move your face into the oval"),
    "blurry": N_("Hold still"),
    "too_dark": N_("Your face is too dark: face the light"),
    "too_bright": N_("Too bright: step out of the glare"),
}


class FaceScreen(KioskScreen):
    guidance: str = StringProperty("")
    error_text: str = StringProperty("")
    checking: bool = BooleanProperty(False)

    def __init__(self, **kwargs) -> None:
        super().__init__(prompt="Look at the camera and keep your face inside the oval", **kwargs)
        self._command = None

    def on_enter(self, *args: object) -> None:
        super().on_enter(*args)
        self.start()

    def on_leave(self, *_args: object) -> None:
        self._cancel()
        self.ids.preview.blank()

    def start(self) -> None:
        self.error_text = ""
        self.checking = False
        services = self.app.services
        if self.journey.session.identity is None:
            self.app.navigate("identify")
            return
        if not services.ready("camera", "face_detector"):
            # no camera: the platform checks the card alone; nothing is faked
            self.guidance = self.app.core.t("The camera is not available: checking your card only")
            self._verify()
            return
        camera = services.device("camera")
        self.ids.preview.device = camera
        self.ids.preview.live = True
        self.guidance = self.app.core.t(GUIDANCE["no_face"])
        self._command = camera.capture_face(timeout=self.resident_timeout(25))
        self._command.add_done_callback(lambda done: Clock.schedule_once(lambda _dt: self._captured(done)))

    def on_device_event(self, role: str, event) -> None:
        if role == "camera" and event.kind == "face_guidance" and self._command is not None:
            self.guidance = self.app.core.t(GUIDANCE.get(event.payload.get("reason"), GUIDANCE["no_face"]))

    def _captured(self, done) -> None:
        self._command = None
        if self.manager is None or self.manager.current != self.name:
            return
        if not done.ok:
            self.error_text = self.app.core.t("We could not take your photo. Please try again.")
            return
        self.ids.preview.live = False
        self.journey.face_captured(done.value.crop_jpeg)
        self._verify()

    def _verify(self) -> None:
        self.checking = True
        self.guidance = self.app.core.t("Checking who you are…")
        self.journey.verify()

    def on_journey(self, payload: dict) -> None:
        if payload.get("what") != "verified":
            return
        self.checking = False
        if payload.get("ok"):
            self.app.navigate("materials")
        else:
            reason = self.journey.plain_reason(payload.get("reason"))
            self.error_text = payload.get("message") or self.app.core.t(reason)

    def _cancel(self) -> None:
        if self._command is not None:
            self._command.cancel()
            self._command = None

    def wipe(self) -> None:
        self._cancel()
        self.ids.preview.blank()
        self.guidance = self.error_text = ""
