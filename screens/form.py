"""The application form: each field by its type with the input that needs the least typing (kiosk.form_input):
what the card holds is already filled in, the ID card's address is one touch away for address fields, choices
and yes/no are buttons, dates a picker, numbers a digit pad, and Chinese text the ChineseKeyboard
(handwriting, pinyin on QWERTY, digits). A field's validation message appears right under it."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

from kivy.clock import Clock
from kivy.factory import Factory
from kivy.properties import ListProperty, StringProperty

from kiosk.form_input import DIGIT_EXTRA, input_kind, options, suggestions
from screens.keyboard_target import KeyboardTarget
from screens.widgets import KioskScreen


def shown_value(spec, value: str, words: Callable[[str], str]) -> str:
    """A field's value as the resident reads it: a choice or yes/no in their language (the value itself, sent to
    the platform, stays the catalog's Chinese); typed text as typed."""
    return words(value) if value and value in options(spec) else value


class FormScreen(KeyboardTarget, KioskScreen):
    focus_key: str = StringProperty("")
    keyboard: str = StringProperty("")  # chinese | digits | options | date | ""
    offers = ListProperty([])  # one-touch values for the focused field (the ID card's address)

    def __init__(self, **kwargs) -> None:
        self._rows: dict[str, object] = {}
        # the field list's room changes as the keyboard opens and rows take their heights, frames after a focus
        self._bring_focused = Clock.create_trigger(lambda _dt: self._show_row(self._rows.get(self.focus_key)))
        super().__init__(prompt="Fill in the form. Touch a field to type", **kwargs)

    def on_kv_post(self, base_widget) -> None:
        super().on_kv_post(base_widget)
        self._offer = self.ids.offer.__self__  # ids are weak: the button lives outside the list between fields
        self.ids.fields.remove_widget(self._offer)
        self.ids.scroll.bind(height=self._bring_focused)
        self.ids.fields.bind(height=self._bring_focused)

    def on_offers(self, *_args: object) -> None:
        """The card's answer right under the field it is for; out of the list when there is none."""
        box, offer = self.ids.fields, self._offer
        if offer.parent is not None:
            offer.parent.remove_widget(offer)
        row = self._rows.get(self.focus_key)
        if self.offers and row is not None and row.parent == box:  # ids are weak proxies: equality, not identity
            box.add_widget(offer, index=box.children.index(row))
        self._bring_focused()

    def on_pre_enter(self, *_args: object) -> None:
        self.journey.prefill_form()
        self.rebuild()
        # Handwriting first for elderly residents (UX.md); pinyin otherwise. Either is one touch away.
        self.ids.keyboard.mode = "handwriting" if self.app.elder else "pinyin"
        first = next((f.key for f in self._fields() if not self.journey.session.form.get(f.key)), "")
        self.focus(first)

    def _fields(self):
        target = self.journey.session.target
        return target.form if target else ()

    def rebuild(self) -> None:
        t, words = self.app.core.t, self.app.core.catalog_t
        box = self.ids.fields
        box.clear_widgets()
        self._rows = {}
        session = self.journey.session
        for spec in self._fields():
            value = session.form.get(spec.key)
            row = Factory.FormRow(key=spec.key, label=words(spec.label) + ("" if spec.required else t(" (optional)")),
                                  value="" if value is None else shown_value(spec, str(value), words),
                                  hint=words(spec.hint or ""),
                                  error=t(session.form_errors.get(spec.key, "")), focused=spec.key == self.focus_key)
            row.bind(on_release=lambda r: self.focus(r.key))
            box.add_widget(row)
            self._rows[spec.key] = row

    def focus(self, key: str) -> None:
        self.focus_key = key
        self.ids.keyboard.reset()
        spec = next((f for f in self._fields() if f.key == key), None)
        if spec is None:
            self.keyboard = ""
            self.offers = []
            return
        field_type = str(spec.type)
        self.keyboard = input_kind(field_type)
        self.offers = [o for o in suggestions(spec, self.journey.applicant) if o != self._value()]
        self.on_offers()  # the same offer for another field (no change event) moves under that field
        if self.keyboard == "digits":
            self.ids.digits.extra = DIGIT_EXTRA[field_type]
        if self.keyboard == "date":
            self.ids.date.start(dt.date.today(), self._value())
        box = self.ids.options
        box.clear_widgets()
        for choice in options(spec):
            button = Factory.ChoiceButton(text=self.app.core.catalog_t(choice),
                                          on_release=lambda b: self.choose(b.value))
            button.value = choice  # a rule's property: set once the rule made it
            button.chosen = choice == self._value()
            box.add_widget(button)
        for row_key, row in self._rows.items():
            row.focused = row_key == key
        self._bring_focused()  # above the keyboard the list may be a row or two high: the field typed in shows

    def _show_row(self, row) -> None:
        """Scroll the list so the field being typed is wholly in sight, with the card's offer under it when both
        fit (the list's rows still being laid out: again next frame)."""
        scroll, box, offer = self.ids.scroll, self.ids.fields, self._offer
        if row is None or row.parent != box:  # wiped or rebuilt meanwhile (ids are weak proxies: equality)
            return
        if box._trigger_layout.is_triggered:
            self._bring_focused()
            return
        room = scroll.height
        low, high = row.y - box.y, row.top - box.y  # in the list, from its bottom
        if offer.parent == box and high - (offer.y - box.y) <= room:
            low = offer.y - box.y
        if box.height <= room:
            return
        shown = scroll.scroll_y * (box.height - room)  # the list's bottom-most height in sight
        if high - low > room or shown + room < high:
            shown = high - room  # the field's top first when it does not fit whole
        elif shown > low:
            shown = low
        scroll.scroll_y = min(1.0, max(0.0, shown / (box.height - room)))

    def _value(self) -> str:
        value = self.journey.session.form.get(self.focus_key)
        return "" if value is None else str(value)

    def set_value(self, value: str) -> None:
        message = self.journey.set_field(self.focus_key, value or None)
        row = self._rows.get(self.focus_key)
        spec = next((f for f in self._fields() if f.key == self.focus_key), None)
        if row is not None and spec is not None:
            row.value = shown_value(spec, value, self.app.core.catalog_t)
            row.error = self.app.core.t(message) if message and value else ""
        if self.offers and value in self.offers:
            self.offers = []

    def choose(self, value: str) -> None:
        """A choice, yes/no or a one-touch suggestion: the whole value at once."""
        self.set_value(value)
        for button in self.ids.options.children:
            button.chosen = button.value == value

    def next(self) -> None:
        errors = self.journey.validate_form()
        t = self.app.core.t
        for key, row in self._rows.items():
            row.error = t(errors.get(key, ""))
        if errors:
            self.focus(next(iter(errors)))
            return
        self.app.navigate("confirm")

    def wipe(self) -> None:
        self.ids.fields.clear_widgets()
        self._rows = {}
        self.offers = []
        self.ids.keyboard.close()
        self.focus_key = ""
