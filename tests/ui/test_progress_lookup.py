"""Progress lookup through real widgets: either receipt number on the keypad (the local reference by its digits,
the platform number), a moved promised date explained, the ID card listing all the holder's applications,
the receipt screen's QR, and times in the kiosk's zone."""

from __future__ import annotations

import datetime as dt

import pytest

from drivers.identity import CardType, Identity, Source
from kiosk import clock
from screens.demo import DEMO_CARD, demo_card
from screens.widgets import personal_strings_left
from tests.ui.conftest import card_put_down, card_taken_away, layout_problems, settled_tap, wait_until, walk

pytestmark = pytest.mark.ui


def submitted(app):
    """An application of the demo resident, queued through the same services the screens use, delivered."""
    services = app.services.journey.apps
    session = services.new_session()
    person = Identity(source=Source.ID_CARD, card_type=CardType.RESIDENT, name=DEMO_CARD["name"],
                      id_number=DEMO_CARD["id_number"])  # fmt: skip
    assert session.verify_card(person).verified
    application = session.start_application(item_code="330199000101020000")
    application.set_form({"phone": "13800138000", "bank_name": "中国银行", "bank_account": "6217000010001234567"})
    application.defer("bank_card")
    sub = session.submit(application)
    session.end()
    return sub


def texts(widget) -> str:
    return " ".join(w.text for w in walk(widget) if isinstance(getattr(w, "text", None), str))


def type_on_pad(ui, screen, digits: str) -> None:
    keys = {k.key: k for k in screen.ids.pad.children}
    for digit in digits:
        ui.tap(keys[digit])


def test_progress_by_either_number_and_by_card(kiosk_app, hw):
    ui, app = settled_tap(kiosk_app), kiosk_app.app
    card_taken_away(ui, hw)  # else the screen lists the card's applications as it opens (the next test)
    sub = submitted(app)
    assert wait_until(ui, lambda: sub.application_no is not None, 20)
    hw.sims.platform.change_promise(sub.application_no, "2026-12-31", "申请人补正材料，补正期间不计入办理时限")
    app.go_home()
    home = ui.screen("home")
    ui.tick(3)
    shown = {f"{clock.now() - dt.timedelta(minutes=m):%H:%M}" for m in (0, 1)}
    assert home.clock_text in shown  # the kiosk's zone (Asia/Shanghai), not the machine's UTC
    ui.tap(home.ids.progress)
    assert app.root.current == "progress"
    progress = ui.screen("progress")
    # the local reference the receipt printed offline: this kiosk's prefix key, then its digits
    ui.tap(progress.ids.prefix_kiosk)
    type_on_pad(ui, progress, sub.reference.rsplit("-", 1)[1])
    assert progress.digits == sub.reference
    ui.tap(progress.ids.lookup)
    assert wait_until(ui, lambda: sub.application_no in progress.message, 20), progress.message
    shown = texts(progress.ids.timeline)
    assert "2026年12月31日" in shown and "补正期间不计入办理时限" in shown  # written as the receipt writes dates
    assert layout_problems(progress) == []
    # the platform number: the TB key replaces the other prefix
    ui.tap(progress.ids.prefix_tb)
    assert progress.digits == "TB" + sub.reference.rsplit("-", 1)[1]
    ui.tap(next(k for k in progress.ids.pad.children if k.key == "clear"))
    ui.tap(progress.ids.prefix_tb)
    type_on_pad(ui, progress, sub.application_no[2:])
    assert progress.digits == sub.application_no
    ui.tap(progress.ids.lookup)
    assert wait_until(ui, lambda: progress.found and sub.application_no in progress.message, 20)
    assert not progress.ids.rate.disabled  # 好差评 of the lookup is offered
    # the card on the reader: all the holder's applications, newest first
    hw.sims.idcard.place(demo_card())
    card_lists_then_home(ui, hw, progress, sub)


def card_lists_then_home(ui, hw, progress, sub) -> None:
    """The card on the reader lists its holder's applications (``sub`` among them); the card taken away, back
    home, nothing personal is left."""
    app = ui.app
    try:
        assert wait_until(ui, lambda: progress.message.startswith("您的申请") and progress.found, 30), progress.message
        assert sub.application_no in texts(progress.ids.timeline)
    finally:
        hw.sims.idcard.remove()
    ui.tap(progress.ids.bar.ids.back)
    assert app.root.current == "home" and not app.services.journey.active
    assert personal_strings_left(app, [DEMO_CARD["name"], DEMO_CARD["id_number"]]) == []


def test_a_card_put_down_before_the_lookup_opened_is_read_there(kiosk_app, hw):
    """The resident puts the ID card on the reader on the home screen (a card alone starts nothing there), then
    touches 查询进度: the card lying there lists the holder's applications without being lifted and put back.
    The reader reports a card once per placement, so the screen asks for it again (the full-run failure: the
    journey test leaves its card on the reader)."""
    ui, app = settled_tap(kiosk_app), kiosk_app.app
    sub = submitted(app)
    assert wait_until(ui, lambda: sub.application_no is not None, 20)
    app.go_home()
    card_taken_away(ui, hw)
    card_put_down(ui, hw, demo_card())
    assert app.root.current == "home" and app.services.journey.session.identity is None  # ignored there
    ui.tap(ui.screen("home").ids.progress)
    assert app.root.current == "progress"
    card_lists_then_home(ui, hw, ui.screen("progress"), sub)


def test_a_guide_and_a_lookup_are_rated_with_reason_codes(kiosk_app, hw):
    ui, app = settled_tap(kiosk_app), kiosk_app.app
    platform = hw.sims.platform
    before = len(platform.service_evaluations())
    app.go_home()
    app.screen("search").choose("item", "330199000101020000")  # 城乡居民养老保险待遇申领: its guide
    ui.tick(3)
    assert app.root.current == "guide"
    ui.tap(ui.screen("guide").ids.rate)
    evaluate = ui.screen("evaluate")
    assert app.root.current == "evaluate" and evaluate.ids.rated.text == "评价对象：您查看的办事指南"
    ui.tap(evaluate.ids.face1)
    reasons = {t.reason: t for t in evaluate.ids.reasons.children}
    assert set(reasons) == {"operability", "guide_accuracy", "convenience", "service_efficiency", "service_level",
                            "service_attitude"}  # the national level-two indicators (kiosk.evaluation_codes)
    ui.tap(reasons["guide_accuracy"])
    assert reasons["guide_accuracy"].text.startswith("✓ ")
    assert layout_problems(evaluate) == []
    ui.tap(evaluate.ids.send)
    assert app.root.current == "goodbye"
    assert wait_until(ui, lambda: len(platform.service_evaluations()) > before, 20)
    rated = platform.service_evaluations()[-1]
    assert (rated["service"], rated["item_code"], rated["level"], rated["reasons"]) == (
        "guide", "330199000101020000", 1, ["guide_accuracy"])
    take = ui.screen("goodbye").ids.take.text  # a guide read on the screen: no card, no receipt to take
    assert "证件" not in take and "回执" not in take and "清除" in take
    ui.tap(ui.screen("goodbye").ids.finish)
    assert app.root.current == "home" and evaluate.service == "application"  # the wipe resets what is rated


def test_every_screen_and_dialog_speaks_in_mandarin(kiosk_app, hw):
    """Every resident screen has a prompt; home and the idle dialog too; what is spoken is in the cache as WAV."""
    from screens.widgets import KioskScreen

    ui, app = settled_tap(kiosk_app), kiosk_app.app
    app.add_screens()
    resident = [s for s in app.root.screens if isinstance(s, KioskScreen)]
    assert resident and all(s.prompt for s in resident), [s.name for s in resident if not s.prompt]
    voice = app.services.voice
    app.muted = False
    app.go_home()
    app.navigate("help")
    app.go_home()
    ui.tick(3)
    home_prompt = app.core.t(ui.screen("home").prompt)
    assert home_prompt.startswith("您好")
    assert wait_until(ui, lambda: voice.path_for(home_prompt, "zh_CN", app.elder).exists(), 30)
    app._open_idle_dialog(18)
    try:
        asked = app.core.t("Do you need more time?")
        assert wait_until(ui, lambda: voice.path_for(asked, "zh_CN", app.elder).exists(), 30)
    finally:
        app._close_idle_dialog()
        app.go_home()


def test_call_staff_from_help_reaches_the_platform(kiosk_app, hw):
    ui, app = settled_tap(kiosk_app), kiosk_app.app
    assert wait_until(ui, lambda: app.staff_desk.heartbeat is not None, 20)  # the desk attached to the hardware
    app.go_home()
    ui.tap(ui.screen("home").ids.help)
    help_screen = ui.screen("help")
    assert app.root.current == "help"
    counter_open = app.core.assistance.counter_open()
    assert ("服务窗口" in help_screen.person_text) is counter_open  # never a closed counter at night
    person = help_screen.person_text
    assert "呼叫工作人员" in person and app.core.settings.routing.hotline in person
    ui.tap(help_screen.ids.call_staff)
    dialog = app._staff_call_dialog
    assert dialog is not None and dialog.notified
    shown = texts(dialog)
    assert "已通知值班工作人员" in shown and "24小时服务热线：12345" in shown
    assert wait_until(ui, lambda: any(c["screen"] == "help" for c in hw.sims.platform.assistance_calls()), 20)
    ui.tap(dialog.ids.ok)
    assert app._staff_call_dialog is None
    app.go_home()


def test_call_staff_from_home_and_every_step(kiosk_app, hw):
    """呼叫工作人员 is one touch away on the home screen and in every screen's TopBar (elder portrait: beside the
    step, where the actions row has no room): each call reaches the platform with the screen it came from."""
    from kivy.core.window import Window

    from kiosk.journey import Target

    ui, app = settled_tap(kiosk_app), kiosk_app.app
    assert wait_until(ui, lambda: app.staff_desk.heartbeat is not None, 20)
    platform = hw.sims.platform
    app.go_home()
    ui.tap(ui.screen("home").ids.call_staff)
    assert app._staff_call_dialog is not None and "24小时服务热线：12345" in texts(app._staff_call_dialog)
    ui.tap(app._staff_call_dialog.ids.ok)
    assert wait_until(ui, lambda: any(c["screen"] == "home" for c in platform.assistance_calls()), 20)
    app.services.journey.choose(Target.of_item(app.services.catalog.item("330199001400120000")))
    try:
        for elder in (False, True):
            app.core.set_elder_mode(elder)
            app.navigate("identify")
            bar = ui.screen("identify").ids.bar
            button = bar.ids.call_staff
            # in the actions row wherever it fits beside 返回/静音/结束办理 (a tight bar narrows those to their
            # words: elder portrait too), else beside the title beneath
            assert wait_until(ui, lambda b=bar, c=button: b.height > 0 and c.width > 0, 10)
            assert button.parent == (bar.ids.actions if bar.call_inline else bar.ids.below)
            x, y = button.to_window(*button.pos)
            assert x >= 0 and x + button.width <= Window.width and y + button.height <= Window.height
            assert layout_problems(ui.screen("identify")) == []
            ui.tap(button)
            assert app._staff_call_dialog is not None
            ui.tap(app._staff_call_dialog.ids.ok)
        assert wait_until(ui, lambda: any(c["screen"] == "identify" for c in platform.assistance_calls()), 20)
    finally:
        app.core.set_elder_mode(False)
        app.services.journey.wipe()
        app.go_home()


def test_scanning_a_receipt_shows_how(kiosk_app, hw):
    """The QR-scan step shows the drawing of the receipt held up to the camera while it waits (the lookup by the
    scanned code itself is walked by `kiosk demo`, 21-progress, and tests/ui/test_progress_scan.py)."""
    from screens.demo import show_scene

    ui, app = settled_tap(kiosk_app), kiosk_app.app
    app.go_home()
    ui.tap(ui.screen("home").ids.progress)
    progress = ui.screen("progress")
    assert wait_until(ui, lambda: progress.can_scan, 15)
    picture = progress.ids.scan_picture
    assert picture.opacity == 0 and picture.height == 0  # no picture before the resident asks to scan
    try:
        show_scene(hw, "face")  # no code in sight
        ui.tap(progress.ids.scan)
        assert progress.scanning
        # portrait: the number keys give the drawing their room (a thumbnail in elder portrait before)
        assert wait_until(ui, lambda: picture.height > progress.height * 0.3, 5)
        assert progress.ids.pad.height == 0 and progress.ids.pad.opacity == 0
        assert picture.opacity == 1 and picture.source.endswith("receipt_qr.png") and picture.texture is not None
        assert layout_problems(progress) == []
        ui.tap(progress.ids.scan)  # 正在扫描… touched again: the scan stops, the picture goes
        assert wait_until(ui, lambda: picture.height == 0 and picture.opacity == 0 and progress.ids.pad.height > 0, 5)
    finally:
        progress.stop_scan()
        app.go_home()
