"""The whole resident journey through real widgets and every simulator: search by initials → guide → ID card →
face → materials (e-certificate, photo, commitment) → form → confirm → submit → printed receipt → evaluate →
goodbye → wipe; then nothing of the resident is left in any widget."""

from __future__ import annotations

import pytest

from screens.demo import demo_card, show_scene
from screens.progress import number_from_qr
from screens.widgets import personal_strings_left
from tests.ui.conftest import card_taken_away, layout_problems, settled_tap, wait_until, walk

pytestmark = pytest.mark.ui


def type_letters(ui, screen, letters: str) -> None:
    keys = screen.ids.keyboard.keys()
    for letter in letters:
        ui.tap(keys[letter])


def test_whole_journey_by_touch(kiosk_app, hw):
    ui, app = settled_tap(kiosk_app), kiosk_app.app
    journey = app.services.journey
    card_taken_away(ui, hw)  # an earlier test's card would be read as the identify screen opens
    show_scene(hw, "face")  # an earlier test in this worker (test_agent, or a first try) left the document scene
    rated_before = len(hw.sims.platform.evaluations())  # earlier tests (or a first try) rated services too
    home = ui.screen("home")
    ui.tap(home.ids.search)
    assert app.root.current == "search"
    search = ui.screen("search")
    type_letters(ui, search, "cxjmyl")
    ui.tick(3)
    rows = search.ids.results.data
    assert rows, "initials found nothing"
    assert layout_problems(search) == []
    row = next(w for w in walk(search.ids.results) if type(w).__name__ == "ResultRow")
    ui.tap(row)
    assert app.root.current == "guide"
    guide = ui.screen("guide")
    assert guide.ids.fact_limit.value and guide.ids.fact_fee.value
    assert layout_problems(guide) == []
    # identify by ID card: the real reader reads the simulated card
    ui.tap(guide.ids.apply)
    assert app.root.current == "identify"
    identify = ui.screen("identify")
    assert identify.idcard_ok
    ui.tap(identify.ids.idcard)
    hw.sims.idcard.place(demo_card())
    assert wait_until(ui, lambda: app.root.current == "face", 15), identify.error_text
    picture = ui.screen("face").ids.picture  # the drawing of what to do, beside the live picture
    assert picture.source.endswith("camera.png") and picture.texture is not None and picture.height > 0
    # face: the camera sees the simulated face; the platform checks it
    face = ui.screen("face")

    def past_the_face() -> bool:  # a photo that timed out on a busy machine: the resident presses 再试一次
        if app.root.current == "face" and face.error_text and not face.ids.retry.disabled:
            ui.tap(face.ids.retry)
        return app.root.current == "materials"

    assert wait_until(ui, past_the_face, 90), face.error_text
    assert journey.session.verification.verified
    materials = ui.screen("materials")
    statuses = {m.code: m.state for m in journey.session.materials}
    assert "certificate" in set(statuses.values()), statuses
    # the remaining materials: photograph one, sign a commitment or defer the rest
    show_scene(hw, "document")
    for _ in range(len(journey.session.materials)):
        pending = [m for m in journey.session.materials if m.state == "missing"]
        if not pending:
            break
        ui.tick(3)  # let the rebuilt rows lay out before touching them
        row = next(r for r in materials.ids.rows.children if r.code == pending[0].code)
        buttons = {b.text: b for b in row.ids.actions.children}
        if "拍照" in buttons:
            b = buttons["拍照"]
            ui.tap(b)
            assert materials.mode == "capture"
            ui.tap(materials.ids.main_action)
            assert wait_until(ui, lambda: materials.mode == "review", 30), materials.guidance
            ui.tick(3)
            ui.tap(materials.ids.main_action)
        elif "签署承诺" in buttons:
            ui.tap(buttons["签署承诺"])
            ui.tick(3)
            pad = materials.ids.pad  # an empty box says what to do, and there is nothing yet to confirm
            assert pad.ids.hint.text == "请用手指在框内签名" and materials.ids.main_action.disabled
            sign(ui, pad)
            assert pad.ids.hint.text == "" and not materials.ids.main_action.disabled
            ui.tap(materials.ids.main_action)
        else:
            ui.tap(buttons["以后补交"])
    assert journey.materials_complete
    ui.tick(3)
    ui.tap(materials.ids.proceed)
    ui.tick(3)
    if app.root.current == "form":
        fill_form(ui, ui.screen("form"))
    assert app.root.current == "confirm", (journey.session.form_errors, journey.session.form)
    confirm = ui.screen("confirm")
    shown = " ".join(w.text for w in walk(confirm) if hasattr(w, "text") and isinstance(w.text, str))
    assert "110105199003071239" not in shown and "张伟" not in shown and "张*" in shown
    ui.tap(confirm.ids.submit)
    assert wait_until(ui, lambda: app.root.current == "receipt", 30)
    receipt = ui.screen("receipt")
    assert wait_until(ui, lambda: receipt.state == "printed", 30)
    printed = hw.sims.printer  # the job is listed once its picture is drawn; earlier tests' jobs are listed too
    assert wait_until(ui, lambda: any(number_from_qr(p) == receipt.number for j in printed.jobs for p in j.qr_payloads))
    assert receipt.number.startswith("TB")
    ui.tap(receipt.ids.done)
    evaluate = ui.screen("evaluate")
    ui.tap(evaluate.ids.face2)
    assert evaluate.ids.send.disabled  # the two lowest need a reason
    first_reason = evaluate.ids.reasons.children[-1]
    assert first_reason.text == "机器不好用或出故障"  # in the resident's language, sent as the national code
    ui.tap(first_reason)
    ui.tap(evaluate.ids.comment_toggle)  # an optional comment typed in pinyin ("hao"), its first candidate taken
    ui.tick(3)
    keyboard = evaluate.ids.keyboard
    ui.tap(keyboard.ids.mode_pinyin)
    keys = keyboard.ids.qwerty.keys()
    for letter in "hao":
        ui.tap(keys[letter])
    first = keyboard.cands[0]
    ui.tap(next(c for c in keyboard.ids.candidates.children if c.text == first))
    assert evaluate.comment == first and keyboard.preedit == ""
    ui.tap(evaluate.ids.send)
    assert app.root.current == "goodbye"
    assert wait_until(ui, lambda: len(hw.sims.platform.evaluations()) > rated_before, 20)
    sent = hw.sims.platform.evaluations()[rated_before]
    assert sent["level"] == 2 and sent["reasons"] == ["operability"] and sent["comment"] == first
    assert ui.screen("goodbye").ids.take.text.startswith("请取走您的证件和回执。")  # an ID card read, a receipt printed
    ui.tap(ui.screen("goodbye").ids.finish)
    assert app.root.current == "home"
    assert not journey.active
    assert personal_strings_left(app, ["张伟", "110105199003071239", "13800138000"]) == []


def sign(ui, pad) -> None:
    from kivy.tests.common import UnitTestTouch

    x, y = pad.to_window(pad.x + pad.width * 0.2, pad.center_y)
    touch = UnitTestTouch(x, y)
    touch.touch_down()
    for step in range(1, 8):
        touch.touch_move(x + step * pad.width * 0.08, y + (-1) ** step * pad.height * 0.1)
    touch.touch_up()
    ui.tick(2)


def fill_form(ui, form) -> None:
    """Type every empty field with its own keyboard: digits for numbers, letters + candidates for text."""
    for _ in range(12):
        spec = next((f for f in form._fields() if not form.journey.session.form.get(f.key)), None)
        if spec is None:
            break
        ui.tap(form._rows[spec.key])
        if form.keyboard == "digits":
            keys = {k.key: k for k in form.ids.digits.children}
            text = {"phone": "13800138000", "date": "2024-01-02", "id_number": "110105199003071239"}.get(
                str(spec.type), "12")
            for ch in text:
                ui.tap(keys[ch])
        elif form.keyboard == "options":
            ui.tap(form.ids.options.children[-1])
        elif form.keyboard == "date":
            form.choose("2024-01-02")
        elif form.offers:
            ui.tap(form.ids.offer)  # the ID card's address, one touch
        else:
            keyboard = form.ids.keyboard
            ui.tap(keyboard.ids.mode_pinyin)
            keys = keyboard.ids.qwerty.keys()
            for _word in range(4):
                for ch in "beijing":
                    ui.tap(keys[ch])
                ui.tap(keyboard.ids.candidates.children[-1])
    ui.tap(form.ids.next)


