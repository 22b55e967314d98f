"""Staff menu UI fixtures: the session app with staff members configured and the configured (simulated) hardware
started and attached — ID-card reader on a pty, printer emulator, camera video, virtual social-security card behind
a private pcscd where available, and the platform simulator."""

from __future__ import annotations

import pytest

from tests.ui.conftest import second_try_starts_at_home, wait_until  # noqa: F401 (autouse: staff tests retry from home too)

OPERATOR_PIN = "246810"
ADMIN_PIN = "135791"
STAFF_CARD = "resident-li"  # a deck card registered as the operator's staff card
STAFF_CARD_NUMBER = "110101199003072340"


class Clock:
    def __init__(self, now: float) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


@pytest.fixture(scope="session")
def staff_hw(kiosk_app, session_hardware):
    """Configure two staff members (cheap argon2 parameters: these are test PINs), start and attach the hardware."""
    from argon2 import PasswordHasher

    from kiosk.config.loader import LoadedConfig
    from kiosk.config.schema import StaffMember
    from kiosk.staff import hash_card

    app = kiosk_app.app
    core = app.core
    hasher = PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1)
    members = (
        StaffMember(id="op01", display_name="王师傅", role="operator", pin_hash=hasher.hash(OPERATOR_PIN),
                    card_hash=hash_card(STAFF_CARD_NUMBER)),
        StaffMember(id="admin01", display_name="李主任", role="administrator", pin_hash=hasher.hash(ADMIN_PIN)),
    )  # fmt: skip
    staff = core.settings.staff.model_copy(update={"members": members})
    core.config = LoadedConfig(core.settings.model_copy(update={"staff": staff}), core.config.outcomes)
    core.config_changed.fire(core.config)  # as a fleet bundle would: the staff desk reads the new members
    hardware = session_hardware  # the one the UI tests use too: a second start would orphan the first's pcscd
    wait_until(kiosk_app, lambda: hardware.supervisor.overall().ready, 20)
    yield hardware


@pytest.fixture
def desk(kiosk_app, staff_hw):
    """A fresh sign-in state (no lockout) on the home screen; returns the StaffDesk."""
    from kiosk.staff import StaffAuth
    from kiosk.staff.auth import STATE_FILE

    app = kiosk_app.app
    desk = app.staff_desk
    desk.logout()
    (app.core.data_dir / STATE_FILE).unlink(missing_ok=True)
    desk.auth = StaffAuth(app.core.settings.staff, app.core.data_dir, audit=staff_hw.audit)
    app.go_home()
    wait_until(kiosk_app, lambda: app.root.current == "home" and not app.root.transition.is_active, 5)
    yield desk
    desk.logout()
    if desk.out_of_service:
        desk.service_mode.set(False)
    app.go_home()
    wait_until(kiosk_app, lambda: app.root.current == "home" and not app.root.transition.is_active, 5)


def enter_pin(ui, pin: str, taps: bool = True) -> None:
    """Type ``pin`` on the pad (``taps=False``: through the pad's key handler, to spare frames) and tap OK."""
    screen = ui.app.root.get_screen("staff_pin")
    settle(ui)  # the ScreenManager ignores touches during a transition
    keys = {w.text: w for w in screen.ids.keypad.children}
    for digit in pin:
        if taps:
            ui.tap(keys[digit])
        else:
            screen.press(digit)
    ui.tap(screen.ids.ok)
    assert wait_until(ui, lambda: not screen.checking, 20)  # the PIN is checked off the UI thread


def settle(ui) -> None:
    wait_until(ui, lambda: not ui.app.root.transition.is_active, 20)
    ui.tick(2)


@pytest.fixture
def signed_in(kiosk_app, desk):
    """Sign in as ``role`` through the real PIN pad; returns the menu screen."""

    def sign_in(role: str = "operator"):
        desk.open_pin(None)
        settle(kiosk_app)
        enter_pin(kiosk_app, OPERATOR_PIN if role == "operator" else ADMIN_PIN)
        settle(kiosk_app)
        assert kiosk_app.app.root.current == "staff_menu"
        return kiosk_app.app.root.get_screen("staff_menu")

    return sign_in
