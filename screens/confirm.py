"""Confirm: a summary of everything, then submit. Every value whole (the address as typed); name, ID and phone
masked. 修改 on a material or a field takes the resident there; 下一步/继续 there brings them back here."""

from __future__ import annotations

from kivy.factory import Factory

from kiosk.i18n import N_
from screens.form import shown_value
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
        t, words = self.app.core.t, self.app.core.catalog_t
        box = self.ids.rows
        box.clear_widgets()
        target = self.journey.session.target
        fields = {spec.key: spec for spec in (target.form if target else ())}
        for label, value, kind, key in self.journey.confirm_rows():
            if kind == "field":  # the catalog's label and choice in the resident's language; typed text as typed
                label, value = words(label), shown_value(fields[key], value, words)
            else:
                label, value = t(label), t(STATUS_WORDS.get(value, value))
            row = Factory.SummaryRow(label=label, value=value, editable=bool(kind), kind=kind, key=key)
            row.bind(on_edit=self.edit)
            box.add_widget(row)

    def edit(self, row) -> None:
        """A material: the materials list (its 更改 is there); a field: the form with that field's keyboard open."""
        if row.kind == "material":
            self.app.navigate("materials")
        elif row.kind == "field":
            self.app.navigate("form")
            self.app.screen("form").focus(row.key)

    def submit(self) -> None:
        self.app.navigate("submitting")

    def wipe(self) -> None:
        self.ids.rows.clear_widgets()
