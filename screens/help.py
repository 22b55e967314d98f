"""Help: how the machine works, in a few large steps, and where to find a person."""

from __future__ import annotations

from kiosk.i18n import N_
from screens.widgets import KioskScreen

HELP_STEPS = (
    N_("1. Find your service: search by its first letters, or choose a category."),
    N_("2. Prove who you are: put your ID card on the reader, then look at the camera."),
    N_("3. Hand over your materials: most are fetched for you; photograph the others here."),
    N_("4. Check and submit, then take your receipt. Its QR code shows the progress."),
)


class HelpScreen(KioskScreen):
    def __init__(self, **kwargs) -> None:
        super().__init__(prompt="How to use this machine", **kwargs)
