"""Confirm: a summary of everything, masked (never a full name, ID or phone number on screen), then submit."""

from __future__ import annotations

from kivy.factory import Factory

from kiosk.i18n import N_
from screens.widgets import KioskScreen

# A material slot's state (kiosk.applications.MaterialSlot.state); a missing one on the confirm screen is optional.
STATUS_WORDS = {
    "file": N_("Photographed"),
    "certificate": N_("Fetched as an e-certificate"),
    "commitment": N_("Commitment signed"),
    "deferred": N_("To supply later"),
    "missing": N_("Not needed"),
    "counter": N_("Hand in at the counter"),
}


class ConfirmScreen(KioskScreen):
    def __init__(self, **kwargs) -> None:
        super().__init__(prompt="Check the summary, then submit", **kwargs)

    def on_pre_enter(self, *_args: object) -> None:
        t = self.app.core.t
        box = self.ids.rows
        box.clear_widgets()
        for label, value in self.journey.summary():
            box.add_widget(Factory.SummaryRow(label=t(label), value=t(STATUS_WORDS.get(value, value))))

    def submit(self) -> None:
        self.app.navigate("submitting")

    def wipe(self) -> None:
        self.ids.rows.clear_widgets()
