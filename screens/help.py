"""Help: how the machine works, in a few large steps, and where to find a person."""

from __future__ import annotations

from kivy.properties import StringProperty

from kiosk.i18n import N_
from kiosk.opening import hours_words
from screens.widgets import KioskScreen

HELP_STEPS = (
    N_("1. Find your service: search by its first letters, or choose a category."),
    N_("2. Prove who you are: put your ID card on the reader, then look at the camera."),
    N_("3. Hand over your materials: most are fetched for you; photograph the others here."),
    N_("4. Check and submit, then take your receipt. Its QR code shows the progress."),
)


class HelpScreen(KioskScreen):
    person_text: str = StringProperty("")  # where a person is, at this hour

    def __init__(self, **kwargs) -> None:
        super().__init__(prompt="How to use this machine. To reach a person, touch Call staff", **kwargs)

    def on_pre_enter(self, *_args: object) -> None:
        """This corner is open 24 hours: the counter is mentioned only while it is staffed."""
        core = self.app.core
        hotline = core.settings.routing.hotline
        if core.assistance.counter_open():
            text = core.t("Need a person? Touch Call staff, go to the service counter (open now, {hours}), "
                          "or call {hotline}.").format(hours=hours_words(core.settings.service.counter_hours),
                                                       hotline=hotline)
        else:
            text = core.t("Need a person? Touch Call staff: the staff on duty are told at once, day and night. "
                          "Or call {hotline}.").format(hotline=hotline)
        self.person_text = text
