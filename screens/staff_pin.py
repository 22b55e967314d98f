"""The staff PIN pad: digits, masked dots, wrong-PIN and lockout messages (minutes left). Every attempt is audited
by ``kiosk.staff.StaffAuth``; the PIN itself is never logged, audited or kept after the attempt."""

from __future__ import annotations

import logging
import math
import threading

from kivy.app import App
from kivy.clock import Clock
from kivy.properties import BooleanProperty, NumericProperty, StringProperty
from kivy.uix.screenmanager import Screen

from kiosk.staff import LoginResult, Outcome

log = logging.getLogger(__name__)

MAX_DIGITS = 12


class StaffPinScreen(Screen):
    dots: str = StringProperty("")
    message: str = StringProperty("")  # translated text
    entered: int = NumericProperty(0)
    locked: bool = BooleanProperty(False)
    checking: bool = BooleanProperty(False)  # a PIN is being checked: the pad waits

    def __init__(self, **kwargs) -> None:
        super().__init__(**kwargs)
        self._pin = ""
        self._lock_event = None

    def reset(self) -> None:
        self._pin = ""
        self._update()
        self.show_lock()

    def on_enter(self, *_args: object) -> None:
        self._lock_event = Clock.schedule_interval(lambda _dt: self.show_lock(), 1.0)

    def on_leave(self, *_args: object) -> None:
        self._pin = ""
        self._update()
        if self._lock_event is not None:
            self._lock_event.cancel()
            self._lock_event = None

    def prompt(self, *_bindings: object) -> str:
        app = App.get_running_app()
        member = app.staff_desk.pending_member
        if member is not None:
            return app.t("Staff card recognised: {who}. Enter your PIN").format(who=member.display_name)
        return app.t("Staff sign-in: enter your PIN")

    # -- keys ------------------------------------------------------------------------------------------
    def press(self, digit: str) -> None:
        if len(self._pin) < MAX_DIGITS and not self._locked_left():
            self._pin += digit
            self._update()

    def backspace(self) -> None:
        self._pin = self._pin[:-1]
        self._update()

    def confirm(self) -> None:
        """Check the PIN off the UI thread: each stored PIN hash takes ~0.1 s of argon2 to compare, and the pad
        would freeze for the length of the staff list."""
        app = App.get_running_app()
        pin, self._pin = self._pin, ""
        self._update()
        if not pin or self.checking:
            return
        self.checking = True
        self.message = app.t("Checking the PIN…")
        desk = app.staff_desk
        member = desk.pending_member

        def work() -> None:
            try:
                result = desk.check_pin(pin, member)
            except Exception:  # never leave the pad on "Checking…": say the kiosk cannot sign in now
                log.exception("staff PIN check failed")
                result = LoginResult(Outcome.UNAVAILABLE)
            Clock.schedule_once(lambda _dt: self._checked(result))

        threading.Thread(target=work, name="staff-pin", daemon=True).start()

    def _checked(self, result) -> None:
        self.checking = False
        app = App.get_running_app()
        app.staff_desk.signed_in(result)
        t = app.t
        if result.outcome is Outcome.OK:
            self.message = ""
        elif result.outcome is Outcome.WRONG_PIN:
            left = app.core.settings.staff.max_failures - result.failures
            self.message = t("Wrong PIN. {left} attempts left before the menu locks").format(left=left)
        elif result.outcome is Outcome.LOCKED:
            self.show_lock()
        elif result.outcome is Outcome.UNAVAILABLE:
            self.message = t("Sign-in cannot be recorded now (storage full or faulty). Call the maintenance hotline")
        else:
            self.message = t("No staff member is configured on this kiosk")

    def cancel(self) -> None:
        App.get_running_app().staff_desk.cancel_pin()

    # -- display ----------------------------------------------------------------------------------------
    def _locked_left(self) -> float:
        desk = App.get_running_app().staff_desk
        member = desk.pending_member
        return desk.auth.retry_in_s(member.id if member is not None else None)

    def show_lock(self) -> None:
        left = self._locked_left()
        if left > 0:
            self.locked = True
            minutes = max(1, math.ceil(left / 60))
            app = App.get_running_app()
            self.message = app.t("Too many wrong PINs. Locked for {minutes} more min").format(minutes=minutes)
            if app.staff_desk.pending_member is None:  # the gesture is locked, not the staff cards
                self.message += "\n" + app.t("Staff with a staff card can still sign in with it")
        elif self.locked:
            self.locked = False
            self.message = ""

    def _update(self) -> None:
        self.entered = len(self._pin)
        self.dots = "●" * len(self._pin)
