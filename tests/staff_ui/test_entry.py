"""Entry to the staff menu: the corner gesture, a staff card on the running reader, the PIN pad (wrong PINs, the
lockout with the clock advanced), the audit of every attempt, and the idle close back home."""

from __future__ import annotations

import pytest

from tests.staff_ui.conftest import ADMIN_PIN, OPERATOR_PIN, STAFF_CARD, Clock, enter_pin, settle, wait_until
from tests.ui.conftest import card_taken_away

pytestmark = pytest.mark.ui


def corner_taps(ui, n: int, corner: str = "top-right") -> None:
    from kivy.core.window import Window
    from kivy.tests.common import UnitTestTouch

    x = Window.width - 10 if corner.endswith("right") else 10
    y = Window.height - 10
    for _ in range(n):  # touches dispatch at once: the taps fall inside the gesture's window however busy the machine
        touch = UnitTestTouch(x, y)
        touch.touch_down()
        touch.touch_up()
    ui.tick(1)


def test_five_corner_taps_open_the_pin_pad_and_the_right_pin_opens_the_menu(kiosk_app, desk):
    corner_taps(kiosk_app, 4)
    assert kiosk_app.app.root.current == "home"
    corner_taps(kiosk_app, 1)
    settle(kiosk_app)
    assert kiosk_app.app.root.current == "staff_pin"
    pin = kiosk_app.app.root.get_screen("staff_pin")
    assert pin.ids.prompt.text == "员工登录：请输入密码"
    keys = {w.text: w for w in pin.ids.keypad.children}
    kiosk_app.tap(keys["2"])
    kiosk_app.tap(keys["4"])
    assert pin.ids.dots.text == "●●"  # masked
    kiosk_app.tap(pin.ids.backspace)
    assert pin.ids.dots.text == "●"
    kiosk_app.tap(pin.ids.backspace)
    enter_pin(kiosk_app, OPERATOR_PIN)
    settle(kiosk_app)
    assert kiosk_app.app.root.current == "staff_menu"
    menu = kiosk_app.app.root.get_screen("staff_menu")
    assert desk.session.member_id == "op01"
    assert "王师傅" in menu.children[0].ids.who.text and "操作员" in menu.children[0].ids.who.text
    tail = desk.hardware.audit.tail(3)
    login = [r for r in tail if r.kind == "staff.login"][-1]
    assert login.fields == {"result": "ok", "method": "gesture", "role": "operator"} and login.actor == "op01"
    assert OPERATOR_PIN not in str([r.fields for r in desk.hardware.audit.tail(20)])


def test_taps_elsewhere_or_on_another_screen_do_not_count(kiosk_app, desk):
    corner_taps(kiosk_app, 3)
    corner_taps(kiosk_app, 1, corner="top-left")  # a tap outside the corner starts over
    corner_taps(kiosk_app, 3)
    assert kiosk_app.app.root.current == "home"


def test_a_staff_card_on_the_reader_opens_the_pin_pad_for_its_holder(kiosk_app, desk, staff_hw):
    sim = staff_hw.sims.idcard
    card_taken_away(kiosk_app, staff_hw)  # a card left lying by an earlier test: the reader reads only a new one
    sim.place(STAFF_CARD)
    try:
        assert wait_until(kiosk_app, lambda: kiosk_app.app.root.current == "staff_pin", 15)
        settle(kiosk_app)
        pin = kiosk_app.app.root.get_screen("staff_pin")
        assert "王师傅" in pin.ids.prompt.text
        enter_pin(kiosk_app, ADMIN_PIN)  # another member's PIN does not count after a card
        assert kiosk_app.app.root.current == "staff_pin"
        assert "还可尝试4次" in pin.ids.message.text
        enter_pin(kiosk_app, OPERATOR_PIN)
        settle(kiosk_app)
        assert kiosk_app.app.root.current == "staff_menu" and desk.session.member_id == "op01"
        # by kind: a reader's fault and recovery records may fall between them on a loaded machine
        staff_records = staff_hw.audit.tail_of_kinds(frozenset({"staff.card", "staff.login"}))[-3:]
        kinds = [(r.kind, r.fields.get("result"), r.fields.get("method")) for r in staff_records]
        assert kinds == [
            ("staff.card", "known", None), ("staff.login", "wrong_pin", "card"), ("staff.login", "ok", "card")
        ]
    finally:
        sim.remove()


def test_five_wrong_pins_lock_the_menu_with_minutes_left_until_the_clock_passes(kiosk_app, desk, staff_hw):
    from kiosk.staff import StaffAuth

    wall = Clock(1_700_000_000.0)
    desk.auth = StaffAuth(kiosk_app.app.core.settings.staff, kiosk_app.app.core.data_dir, audit=staff_hw.audit,
                          clock=wall)  # fmt: skip
    desk.open_pin(None)
    settle(kiosk_app)
    pin = kiosk_app.app.root.get_screen("staff_pin")
    for _ in range(5):
        enter_pin(kiosk_app, "999999", taps=False)
    assert pin.ids.message.text == "密码错误次数过多，已锁定，请 5 分钟后再试\n持工作卡的工作人员仍可刷卡登录"
    assert pin.ids.ok.disabled
    wall.advance(181)  # 119 s left: shown as 2 minutes
    pin.show_lock()
    assert "2 分钟" in pin.ids.message.text
    pin.ids.ok.disabled = False
    enter_pin(kiosk_app, OPERATOR_PIN, taps=False)  # even the right PIN is refused while locked
    assert kiosk_app.app.root.current == "staff_pin"
    wall.advance(120)
    pin.show_lock()
    assert pin.ids.message.text == "" and not pin.ids.ok.disabled
    enter_pin(kiosk_app, OPERATOR_PIN, taps=False)
    settle(kiosk_app)
    assert kiosk_app.app.root.current == "staff_menu"
    kinds = [r.kind for r in staff_hw.audit.tail(12)]
    assert "staff.lockout" in kinds and "staff.unlocked" in kinds


def test_a_full_disk_answers_the_pin_pad_instead_of_checking_forever(kiosk_app, desk, staff_hw, tmp_path):
    from kiosk.audit import AuditTrail
    from kiosk.staff import StaffAuth
    from tests.field.tinydisk import fill, tiny_disk

    with tiny_disk(tmp_path / "disk", 256) as disk:
        trail = AuditTrail(disk / "audit.sqlite3")
        fill(disk)
        try:
            desk.auth = StaffAuth(kiosk_app.app.core.settings.staff, tmp_path, audit=trail)
            desk.open_pin(None)
            settle(kiosk_app)
            pin = kiosk_app.app.root.get_screen("staff_pin")
            enter_pin(kiosk_app, OPERATOR_PIN, taps=False)
            assert wait_until(kiosk_app, lambda: not pin.checking, 20)
            assert pin.ids.message.text == "存储空间已满或故障，暂时无法记录登录，请联系运维热线"
            assert kiosk_app.app.root.current == "staff_pin"  # not signed in without an audit record
        finally:
            trail.close()


def test_the_menu_closes_itself_when_idle_and_returns_home(kiosk_app, desk, staff_hw):
    from kiosk.staff import StaffAuth

    mono = Clock(1000.0)
    desk.auth = StaffAuth(kiosk_app.app.core.settings.staff, kiosk_app.app.core.data_dir, audit=staff_hw.audit,
                          session_clock=mono)  # fmt: skip
    desk.open_pin(None)
    settle(kiosk_app)
    enter_pin(kiosk_app, OPERATOR_PIN)
    settle(kiosk_app)
    assert kiosk_app.app.root.current == "staff_menu"
    mono.advance(kiosk_app.app.core.settings.staff.menu_idle_timeout_s - 1)
    desk.tick()
    assert desk.session is not None
    mono.advance(1)
    desk.tick()
    assert desk.session is None
    assert wait_until(kiosk_app, lambda: kiosk_app.app.root.current == "home", 5)
    closed = [r for r in staff_hw.audit.tail(5) if r.kind == "staff.session_closed"][-1]
    assert closed.fields == {"reason": "idle"} and closed.actor == "op01"


def test_cancel_and_log_out_return_home(kiosk_app, desk, signed_in):
    menu = signed_in("operator")
    kiosk_app.tap(menu.children[0].ids.back)  # 退出登录
    assert wait_until(kiosk_app, lambda: kiosk_app.app.root.current == "home", 5)
    assert desk.session is None
    desk.open_pin(None)
    settle(kiosk_app)
    kiosk_app.tap(kiosk_app.app.root.get_screen("staff_pin").ids.cancel)
    assert wait_until(kiosk_app, lambda: kiosk_app.app.root.current == "home", 5)
