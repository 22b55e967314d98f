"""Help: how the machine works, in a few large steps, and where to find a person."""

from __future__ import annotations

from screens.widgets import KioskScreen

HELP_STEPS = (
    "1. Find your service: search by its first letters, or choose a category.",
    "2. Prove who you are: put your ID card on the reader, then look at the camera.",
    "3. Hand over your materials: most are fetched for you; photograph the others here.",
    "4. Check and submit, then take your receipt. Its QR code shows the progress.",
)


class HelpScreen(KioskScreen):
    def __init__(self, **kwargs) -> None:
        super().__init__(prompt="How to use this machine", **kwargs)
