"""Staff lockout per way in (#17), on the real ``kiosk run`` under the unit's conditions (tests/field/harness.py),
its PIN pad driven on the UI thread (tests/field/drive/): a stranger's wrong PINs at the hidden gesture lock the
gesture's pad, not the staff — a member's staff card on the (simulated) ID-card reader still opens the menu — and
the lock holds across a restart of the process (it lives in the data folder, on the wall clock)."""

from __future__ import annotations

import pytest
from argon2 import PasswordHasher

from kiosk.staff import hash_card
from tests.field.harness import Service

pytestmark = pytest.mark.slow

PIN = "246810"
STAFF_CARD = "resident-li"  # a card of the simulator's deck, registered as the operator's staff card
STAFF_CARD_NUMBER = "110101199003072340"
PAD = 'pad = app.root.get_screen("staff_pin")\n'
SHOWN = "result = None if pad.checking else {'screen': app.root.current, 'locked': pad.locked, 'message': pad.message}"


def site_file(service: Service) -> None:
    hashed = PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1).hash(PIN)  # cheap: a test PIN
    card = hash_card(STAFF_CARD_NUMBER)
    (service.tmp / "kiosk.toml").write_text(
        f'[kiosk]\nid = "K0042"\n[staff]\nmax_failures = 3\nlockout_s = 600\n[[staff.members]]\nid = "op01"\n'
        f'display_name = "王师傅"\nrole = "operator"\npin_hash = "{hashed}"\ncard_hash = "{card}"\n'
        # only the ID-card reader is needed: a kiosk without a camera or a social-security reader starts sooner
        '[devices.camera]\nsource = "/nonexistent/video0"\n[devices.sscard]\nreader = "no such reader"\n',
        "utf-8",
    )


def start(service: Service) -> None:
    service.start(config=service.tmp / "kiosk.toml", drivable=True)
    assert service.ready().fields.get("STATUS") == "home screen shown"
    service.drive_until("result = app.staff_desk._attached is not None", 120, "the staff desk on the hardware")


def open_gesture_pad(service: Service) -> dict[str, object]:
    """What the hidden gesture opens: the PIN pad with no staff member named."""
    service.drive("app.staff_desk.open_pin(None)")
    return service.drive_until(PAD + "pad.show_lock()\n" + SHOWN, what="the PIN pad")


def type_pin(service: Service, pin: str) -> dict[str, object]:
    service.drive(PAD + f"for digit in {pin!r}:\n    pad.press(digit)\npad.confirm()")
    return service.drive_until(PAD + SHOWN, what="the PIN checked")


def test_a_stranger_locks_the_gesture_not_the_staff_and_the_lock_survives_a_restart(service: Service) -> None:
    site_file(service)
    start(service)
    open_gesture_pad(service)
    for wrong in ("000000", "111111"):
        shown = type_pin(service, wrong)
        assert shown["screen"] == "staff_pin" and not shown["locked"], shown
    shown = type_pin(service, "222222")
    assert shown["locked"], shown
    card_hint = service.drive('result = app.t("Staff with a staff card can still sign in with it")')
    assert card_hint in str(shown["message"]), shown
    shown = type_pin(service, PIN)  # the right PIN at a locked gesture: refused unchecked
    assert shown["screen"] == "staff_pin" and shown["locked"], shown

    service.drive("app.go_home()")  # the staff member arrives with the card
    service.drive(f"app.core.hardware.sims.idcard.place({STAFF_CARD!r})")
    service.drive_until('result = app.root.current == "staff_pin" and app.staff_desk.pending_member is not None',
                        what="the staff card opening the PIN pad")  # fmt: skip
    assert service.drive(PAD + "pad.show_lock()\nresult = pad.locked") is False  # the card's own count
    assert type_pin(service, PIN)["screen"] == "staff_menu"
    service.drive("app.staff_desk.logout()\napp.core.hardware.sims.idcard.remove()\napp.go_home()")

    assert service.stop() == 0, service.stderr()[-3000:]  # a restart (systemd's, a power cut's) does not unlock
    start(service)
    shown = open_gesture_pad(service)
    assert shown["locked"] and card_hint in str(shown["message"]), shown
    shown = type_pin(service, PIN)
    assert shown["screen"] == "staff_pin" and shown["locked"], shown
    assert service.stop() == 0, service.stderr()[-3000:]
    assert service.leftovers() == {}
