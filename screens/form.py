"""The application form: each field by its type with the right keyboard (digits for phones, numbers, ID and bank
numbers and dates; letters with hanzi candidates for text; buttons for choices and yes/no). A field's validation
message appears right under it."""

from __future__ import annotations

from kivy.factory import Factory
from kivy.properties import ListProperty, StringProperty

from kiosk.ime import candidates
from screens.widgets import KioskScreen

DIGIT_TYPES = {"phone": "", "number": ".", "bank_account": "", "id_number": "X", "date": "-"}


def keyboard_for(field_type: str) -> str:
    """"digits", "pinyin" or "options" — which input a field gets."""
    if field_type in DIGIT_TYPES:
        return "digits"
    if field_type in ("choice", "boolean"):
        return "options"
    return "pinyin"


class FormScreen(KioskScreen):
    focus_key: str = StringProperty("")
    keyboard: str = StringProperty("")  # digits | pinyin | options | ""
    letters: str = StringProperty("")
    cands = ListProperty([])

    def __init__(self, **kwargs) -> None:
        super().__init__(prompt="Fill in the form. Touch a field to type", **kwargs)
        self._rows: dict[str, object] = {}
        self._cand_pairs: list[tuple[str, int]] = []

    def on_pre_enter(self, *_args: object) -> None:
        self.journey.prefill_form()
        self.rebuild()
        first = next((f.key for f in self._fields() if not self.journey.session.form.get(f.key)), "")
        self.focus(first)

    def _fields(self):
        target = self.journey.session.target
        return target.form if target else ()

    def rebuild(self) -> None:
        t = self.app.core.t
        box = self.ids.fields
        box.clear_widgets()
        self._rows = {}
        session = self.journey.session
        for spec in self._fields():
            value = session.form.get(spec.key)
            row = Factory.FormRow(key=spec.key, label=spec.label + ("" if spec.required else t(" (optional)")),
                                  value="" if value is None else str(value), hint=spec.hint or "",
                                  error=t(session.form_errors.get(spec.key, "")), focused=spec.key == self.focus_key)
            row.bind(on_release=lambda r: self.focus(r.key))
            box.add_widget(row)
            self._rows[spec.key] = row

    def focus(self, key: str) -> None:
        self.focus_key = key
        self.letters = ""
        self._update_cands()
        spec = next((f for f in self._fields() if f.key == key), None)
        if spec is None:
            self.keyboard = ""
            return
        self.keyboard = keyboard_for(str(spec.type))
        if self.keyboard == "digits":
            self.ids.digits.extra = DIGIT_TYPES[str(spec.type)]
        options = self.ids.options
        options.clear_widgets()
        if self.keyboard == "options":
            choices = spec.options if str(spec.type) == "choice" else ("是", "否")
            for choice in choices:
                options.add_widget(Factory.KGhostButton(text=choice, on_release=lambda b: self.set_value(b.text)))
        for row_key, row in self._rows.items():
            row.focused = row_key == key

    def _value(self) -> str:
        value = self.journey.session.form.get(self.focus_key)
        return "" if value is None else str(value)

    def set_value(self, value: str) -> None:
        message = self.journey.set_field(self.focus_key, value or None)
        row = self._rows.get(self.focus_key)
        if row is not None:
            row.value = value
            row.error = self.app.core.t(message) if message and value else ""

    def on_digit(self, key: str) -> None:
        value = self._value()
        if key == "backspace":
            value = value[:-1]
        elif key == "clear":
            value = ""
        else:
            value += key
        self.set_value(value)

    def on_letter(self, key: str) -> None:
        if key == "backspace":
            if self.letters:
                self.letters = self.letters[:-1]
            else:
                self.set_value(self._value()[:-1])
        elif key == "clear":
            self.letters = ""
            self.set_value("")
        else:
            self.letters += key
        self._update_cands()

    def pick(self, index: int) -> None:
        if index >= len(self._cand_pairs):
            return
        text, consumed = self._cand_pairs[index]
        self.set_value(self._value() + text)
        self.letters = self.letters[consumed:]
        self._update_cands()

    def _update_cands(self) -> None:
        self._cand_pairs = candidates(self.letters, 8) if self.letters else []
        self.cands = [text for text, _ in self._cand_pairs]

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
        self.letters = ""
        self.cands = []
        self.focus_key = ""
