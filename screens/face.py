"""Face capture for the real-name check: live preview with an oval to fill, guidance in plain words per frame,
then the platform compares the photo with the card. Without a working camera the check goes on without a photo."""

from __future__ import annotations

from typing import Any

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

    def on_enter(self, *args: object) -> None:
        super().on_enter(*args)
        self.start()

    def on_leave(self, *_args: object) -> None:
        self._cancel()
        self.ids.preview.blank()

    def start(self) -> None:
        self.error_text = ""
        self.checking = False
        journey = self.journey
        if journey.session.identity is None:
            self.app.navigate("identify")
            return
        if not journey.ready("camera", "face_detector"):
            # no camera: the platform checks the card alone; nothing is faked
            self.guidance = self.app.core.t("The camera is not available: checking your card only")
            self.checking = True
        else:
            self.ids.preview.device = journey.camera_preview()
            self.ids.preview.live = True
            self.guidance = self.app.core.t(GUIDANCE["no_face"])
        journey.capture_face()

    def on_journey(self, payload: dict[str, Any]) -> None:
        what = payload.get("what")
        if what == "guidance" and payload.get("purpose") == "face":
            self.guidance = self.app.core.t(GUIDANCE.get(payload.get("reason") or "", GUIDANCE["no_face"]))
        elif what == "face_failed":
            self.error_text = self.app.core.t("We could not take your photo. Please try again.")
        elif what == "face_captured":
            self.ids.preview.live = False
            self.checking = True
            self.guidance = self.app.core.t("Checking who you are…")
        elif what == "verified":
            self._verified(payload)

    def _verified(self, payload: dict[str, Any]) -> None:
        self.checking = False
        if payload.get("ok"):
            self.app.navigate(self.journey.after_verified())
        else:
            reason = self.journey.plain_reason(payload.get("reason"))
            self.error_text = self.app.core.t(payload.get("message") or reason)

    def _cancel(self) -> None:
        self.journey.cancel_capture("face")

    def wipe(self) -> None:
        self._cancel()
        self.ids.preview.blank()
        self.guidance = self.error_text = ""
