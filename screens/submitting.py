"""Submitting: the application is saved on the kiosk first, then sent; progress until the number comes back."""

from __future__ import annotations

from kivy.properties import StringProperty

from screens.widgets import KioskScreen


class SubmittingScreen(KioskScreen):
    error_text: str = StringProperty("")

    def __init__(self, **kwargs) -> None:
        super().__init__(prompt="Submitting, please wait", **kwargs)

    def on_enter(self, *args: object) -> None:
        super().on_enter(*args)
        self.error_text = ""
        if self.journey.session.submission is None:
            self.journey.submit()

    def on_journey(self, payload: dict) -> None:
        what = payload.get("what")
        if what == "submitted":
            self.app.navigate("receipt")
        elif what in ("submit_failed", "submit_held"):  # held: a full disk, the application kept until saved
            self.error_text = self.app.core.t(self.journey.session.error or "")

    def wipe(self) -> None:
        self.error_text = ""
