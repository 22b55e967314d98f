"""帮办代办, the principal: after the agent proved who they are, whom they apply for — the principal's own ID or
social-security card on the reader, the principal's e-ID code (on the agent's phone) in front of the camera, or,
when the principal is not here, their name (handwriting or pinyin) and ID number (digit pad, check digit
validated) typed in; the 授权委托书 is then a material (photographed, or signed on the screen). The journey starts
the application for the principal (kiosk.journey ``set_principal``: the path ``kiosk apply`` takes)."""

from __future__ import annotations

from typing import Any

from kivy.factory import Factory
from kivy.properties import BooleanProperty, StringProperty

from screens.card_animation import CardAnimation
from screens.identify import PLAIN_ERRORS
from screens.keyboard_target import KeyboardTarget
from screens.widgets import KioskScreen

FIELDS = ("name", "id_number")


class PrincipalScreen(CardAnimation, KeyboardTarget, KioskScreen):
    mode: str = StringProperty("choose")  # choose | card | qr | enter
    status_text: str = StringProperty("")
    error_text: str = StringProperty("")
    card_ok: bool = BooleanProperty(False)
    qr_ok: bool = BooleanProperty(False)
    focus_key: str = StringProperty("")
    entered_name: str = StringProperty("")
    entered_id: str = StringProperty("")

    def __init__(self, **kwargs) -> None:
        super().__init__(prompt="Whom do you apply for? Use their card or e-ID code, or enter their details",
                         **kwargs)
        self._rows: dict[str, Any] = {}

    def on_pre_enter(self, *_args: object) -> None:
        self.mode, self.status_text, self.error_text = "choose", "", ""
        self.entered_name = self.entered_id = ""
        self.refresh_methods()
        self.ids.fields.clear_widgets()  # built for typing only: hidden rows would still take touches
        self._rows = {}

    def on_leave(self, *_args: object) -> None:
        self._stop()
        self.journey.card_roles = frozenset()

    def refresh_methods(self) -> None:
        journey = self.journey
        self.card_ok = journey.ready("idcard") or journey.ready("sscard")
        self.qr_ok = journey.ready("camera", "qr")

    # -- the ways ----------------------------------------------------------------------------------------
    def choose(self, mode: str) -> None:
        t = self.app.core.t
        self._stop()
        self.mode, self.error_text = mode, ""
        self.ids.fields.clear_widgets()
        self._rows = {}
        if mode == "card":
            self.status_text = t("Put the ID card or social security card of the person you apply for on the reader")
            self.app.say("Put the ID card or social security card of the person you apply for on the reader")
            self.journey.card_roles = frozenset(("idcard", "sscard"))
            self.journey.read_lying_cards()  # the principal's card put down before this was chosen
            self._animate()
        elif mode == "qr":
            self.status_text = t("Hold their e-ID code in front of the camera")
            self.app.say("Hold their e-ID code in front of the camera")
            self.journey.scan_principal_qr()
            self._animate()
        elif mode == "enter":
            self.status_text = ""
            self.app.say("Enter the name and ID number of the person you apply for")
            self.entered_name = self.entered_id = ""
            self._build_rows()
            self.ids.keyboard.mode = "handwriting" if self.app.elder else "pinyin"
            self.focus("name")
        else:
            self.status_text = ""

    # -- typed in: name (Chinese keyboard) and ID number (digit pad with X) --------------------------------
    def _build_rows(self) -> None:
        t = self.app.core.t
        box = self.ids.fields
        box.clear_widgets()
        self._rows = {}
        labels = {"name": t("Name of the person you apply for"), "id_number": t("Their ID number")}
        for key in FIELDS:
            row = Factory.FormRow(key=key, label=labels[key], value="", focused=key == self.focus_key)
            row.bind(on_release=lambda r: self.focus(r.key))
            box.add_widget(row)
            self._rows[key] = row

    def focus(self, key: str) -> None:
        self.focus_key = key
        self.ids.keyboard.reset()
        for row_key, row in self._rows.items():
            row.focused = row_key == key

    def _value(self) -> str:
        return self.entered_name if self.focus_key == "name" else self.entered_id

    def set_value(self, value: str) -> None:
        if self.focus_key == "name":
            self.entered_name = value
        else:
            self.entered_id = value.upper()[:18]
        row = self._rows.get(self.focus_key)
        if row is not None:
            row.value = self._value()
            row.error = ""

    def confirm_entry(self) -> None:
        problem = self.journey.enter_principal(self.entered_name, self.entered_id)
        if problem is not None:
            key = "name" if not self.entered_name.strip() else "id_number"
            row = self._rows.get(key)
            if row is not None:
                row.error = self.app.core.t(problem)
            self.focus(key)
            self.app.say(problem)

    # -- what the journey says (on the UI thread) ---------------------------------------------------------
    def on_journey(self, payload: dict[str, Any]) -> None:
        t = self.app.core.t
        what = payload.get("what")
        if what == "devices":
            self.refresh_methods()
        elif what == "card" and self.mode == "card":
            event = str(payload.get("event"))
            if event in ("card_placed", "card_inserted"):
                self.error_text, self.status_text = "", t("Card found. Reading… please leave it on the reader")
            elif event == "error":
                self.error_text = t(PLAIN_ERRORS.get(str(payload.get("code")), PLAIN_ERRORS["invalid_data"]))
        elif what == "qr_read" and self.mode == "qr":
            self.status_text = t("Checking the code…")
        elif what == "qr_failed" and self.mode == "qr":
            self.error_text = t("No code was seen. Please try again.")
        elif what == "principal":
            self._principal(payload)

    def _principal(self, payload: dict[str, Any]) -> None:
        t = self.app.core.t
        if payload.get("ok"):
            self.status_text = t("You apply for: {name}").format(name=payload.get("masked_name", ""))
            self.error_text = ""
            self._move_on("materials")
            return
        message = t(str(payload.get("message") or ""))
        if self.mode == "enter":
            row = self._rows.get("id_number")
            if row is not None:
                row.error = message
        else:
            self.error_text = message
        self.app.say(str(payload.get("message") or ""))

    def wipe(self) -> None:
        self._stop()
        self.mode, self.status_text, self.error_text, self.focus_key = "choose", "", "", ""
        self.entered_name = self.entered_id = ""
        self.ids.keyboard.close()
        self.ids.fields.clear_widgets()
        self._rows = {}
