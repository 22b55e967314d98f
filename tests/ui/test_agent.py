"""帮办代办 through real widgets and every simulator: the agent chooses 代他人办理 and identifies by card (face
checked), then the principal — by their own card on the reader, or typed in (name by pinyin, ID number on the
digit pad with its check digit validated) with the 授权委托书 signed on the screen; the platform simulator
records both persons, the confirm screen and the printed receipt show both masked, and the session leaves
nothing personal behind. An item that must be done in person says so."""

from __future__ import annotations

import pytest

from drivers.sim.idcard.cards import load_deck
from kiosk.journey import Target
from screens.demo import demo_card, show_scene
from screens.widgets import personal_strings_left
from tests.ui.conftest import card_put_down, settled_tap, wait_until, walk
from tests.ui.test_journey import fill_form, sign

pytestmark = pytest.mark.ui

ITEM = "330199000101310000"  # 个人参保证明查询打印: may be done for someone else
IN_PERSON = "330199000100210000"  # 社保待遇资格认证: agent_allowed false (proof of life)
AGENT = ("张伟", "110105199003071239", "张*", "110105********1239")


def page_jpeg() -> bytes:
    """A photographed page as the camera stores it (a JPEG)."""
    import io

    from PIL import Image

    out = io.BytesIO()
    Image.new("RGB", (400, 560), "white").save(out, "JPEG")
    return out.getvalue()


PRINCIPAL_CARD = ("李晓红", "110101199003072340", "李*红", "110101********2340")


def press(widget) -> None:
    """A key's press and release as its touch dispatches them, for long runs of keys (each ``ui.tap`` draws frames,
    seconds on a loaded machine); the first or last key of a run is still touched through the window."""
    widget.dispatch("on_press")
    widget.dispatch("on_release")


def start(ui, app, code: str):
    """The service chosen (as the guide's 在本机办理 does) and the identify screen shown."""
    journey = app.services.journey
    app.navigate("home")
    journey.choose(Target.of_item(app.core.catalog.item(code)))
    app.navigate("identify")
    ui.tick(3)
    return ui.screen("identify")


def card_away(ui, hw) -> None:
    """Take the card off the reader and wait until the reader saw it go (the next card is then read)."""
    hw.sims.idcard.remove()
    reader = hw.devices["idcard"]
    assert wait_until(ui, lambda: not reader.status().fields.get("card_present"), 10)


def agent_identifies(ui, app, hw, card_lying: bool = False) -> None:
    """The agent chooses 代他人办理 and identifies by card; ``card_lying``: the agent's card was put down on the
    home screen, before the service was chosen — it waits for the choice, it is not taken as 本人办理."""
    card_away(ui, hw)
    journey = app.services.journey
    if card_lying:
        app.navigate("home")
        card_put_down(ui, hw, demo_card())
    identify = start(ui, app, ITEM)
    assert identify.can_choose and not identify.for_other
    if card_lying:
        question = identify.ids.who_question
        assert identify.card_waiting and "请先选择" in question.text and question.height > 0
        assert question.y > identify.ids.who.top - 1  # right above 本人办理 / 代他人办理
        assert not identify.ids.for_self.text.startswith("✓") and journey.session.identity is None
    show_scene(hw, "face")
    ui.tap(identify.ids.for_other)
    assert journey.session.for_other and identify.for_other
    assert identify.ids.for_other.text.startswith("✓")
    if not card_lying:
        ui.tap(identify.ids.idcard)
        hw.sims.idcard.place(demo_card())
    assert wait_until(ui, lambda: app.root.current == "principal", 40), (identify.error_text,
                                                                          ui.screen("face").error_text)
    assert journey.session.identity.id_number == AGENT[1] and journey.session.principal is None
    card_away(ui, hw)  # the agent's card leaves the reader: no grace countdown for an agent
    assert journey.active and journey.session.card_removed_at is None


def provide_materials(ui, app, hw) -> None:
    journey, materials = app.services.journey, ui.screen("materials")
    show_scene(hw, "document")
    ui.tick(3)
    names = [row.name for row in materials.ids.rows.children]
    assert any(name.startswith("申请人身份证件（被代办人的）") for name in names), names  # whose card: not the agent's
    for _ in range(len(journey.session.materials)):
        pending = [m for m in journey.session.materials if m.state == "missing"]
        if not pending:
            break
        ui.tick(3)
        row = next(r for r in materials.ids.rows.children if r.code == pending[0].code)
        buttons = {b.text: b for b in row.ids.actions.children}
        if "在屏幕上签字" in buttons:  # 委托书 signed by the principal on the screen
            ui.tap(buttons["在屏幕上签字"])
            ui.tick(3)
            assert materials.mode == "sign_letter" and "委托" in materials.sign_text
            sign(ui, materials.ids.pad)
            ui.tap(materials.ids.main_action)
            assert journey.material("power_of_attorney").status.value == "file"
            assert journey.material("power_of_attorney").content_type == "image/png"
        elif pending[0].code != "power_of_attorney":  # the principal's ID copy: test_journey photographs pages
            journey.capture(pending[0].code, page_jpeg())
            materials.rebuild()
        else:  # the 委托书 photographed with the camera
            ui.tap(buttons["拍照"])
            ui.tap(materials.ids.main_action)
            assert wait_until(ui, lambda: materials.mode == "review", 30), materials.guidance
            ui.tick(3)
            ui.tap(materials.ids.main_action)
    assert journey.materials_complete, [(m.code, m.state) for m in journey.session.materials]
    ui.tick(3)
    ui.tap(materials.ids.proceed)
    ui.tick(3)
    if app.root.current == "form":
        fill_form(ui, ui.screen("form"))


def submit_and_check(ui, app, hw, principal: tuple[str, str, str, str]) -> None:
    """Confirm shows both masked; the platform has both; the printed receipt shows both masked; then the end."""
    journey = app.services.journey
    assert app.root.current == "confirm"
    confirm = ui.screen("confirm")
    shown = " ".join(w.text for w in walk(confirm) if isinstance(getattr(w, "text", None), str))
    for masked in (AGENT[2], AGENT[3], principal[2], principal[3]):
        assert masked in shown
    assert AGENT[0] not in shown and AGENT[1] not in shown and principal[1] not in shown
    printer = hw.sims.printer
    before = len(printer.jobs)
    ui.tap(confirm.ids.submit)
    assert wait_until(ui, lambda: app.root.current == "receipt", 30)
    receipt = ui.screen("receipt")
    assert wait_until(ui, lambda: receipt.state == "printed", 30)
    assert wait_until(ui, lambda: len(printer.jobs) > before, 15)
    printed = "\n".join(printer.jobs[-1].lines)
    assert principal[2] in printed and principal[3] in printed  # 申请人
    assert AGENT[2] in printed and AGENT[3] in printed and "代办人" in printed
    for full in (AGENT[0], AGENT[1], principal[0], principal[1]):
        assert full not in printed
    number = receipt.number
    assert wait_until(ui, lambda: any(a["application_no"] == number for a in hw.sims.platform.applications()), 20)
    body = next(a for a in hw.sims.platform.applications() if a["application_no"] == number)["body"]
    assert body["applicant"]["id_number"] == principal[1] and body["agent"]["id_number"] == AGENT[1]
    ui.tap(ui.screen("receipt").ids.done)
    app.cancel_session()  # the resident leaves from the rating screen: 结束办理
    assert wait_until(ui, lambda: app.root.current == "home", 10) and not journey.active
    assert personal_strings_left(app, [AGENT[0], AGENT[1], principal[0], principal[1]]) == []


def test_agent_with_the_principal_s_card(kiosk_app, hw):
    ui, app = settled_tap(kiosk_app), kiosk_app.app
    agent_identifies(ui, app, hw, card_lying=True)
    principal = ui.screen("principal")
    assert principal.mode == "choose"
    ui.tap(principal.ids.by_card)
    li = next(c for c in load_deck() if c.id == "resident-li")
    hw.sims.idcard.place(li)
    assert wait_until(ui, lambda: app.root.current == "materials", 20), principal.error_text
    card_away(ui, hw)
    journey = app.services.journey
    assert journey.session.principal.id_number == PRINCIPAL_CARD[1]
    assert journey.session.application.agent.id_number == AGENT[1]
    provide_materials(ui, app, hw)
    submit_and_check(ui, app, hw, PRINCIPAL_CARD)


def test_agent_enters_the_principal_and_the_letter_is_signed_on_screen(kiosk_app, hw):
    ui, app = settled_tap(kiosk_app), kiosk_app.app
    agent_identifies(ui, app, hw)
    principal = ui.screen("principal")
    ui.tick(5)  # the three ways laid out before a finger touches one
    ui.tap(principal.ids.by_entry)
    entry = principal.ids.by_entry
    assert principal.mode == "enter" and principal.focus_key == "name", entry.pos
    keyboard = principal.ids.keyboard
    ui.tap(keyboard.ids.mode_pinyin)
    keys = keyboard.ids.qwerty.keys()
    ui.tap(keys["w"])
    for letter in "angfang":  # the keys' own handlers, without a frame drawn for each (the touch is shown above)
        press(keys[letter])
    assert wait_until(ui, lambda: bool(keyboard.cands), 10)
    ui.tap(keyboard.ids.candidates.children[-1])  # the first candidate: a phrase, or 王 then one for "fang"
    if len(principal.entered_name) == 1:
        assert wait_until(ui, lambda: bool(keyboard.cands), 10)
        ui.tap(keyboard.ids.candidates.children[-1])
    name = principal.entered_name
    assert len(name) == 2, name
    ui.tap(principal._rows["id_number"])
    assert principal.focus_key == "id_number"
    digits = {k.key: k for k in principal.ids.digits.children}
    wrong = "330199193001010021"  # the check digit does not match
    for ch in wrong[:-1]:
        press(digits[ch])
    ui.tap(digits[wrong[-1]])
    assert principal.entered_id == wrong
    ui.tap(principal.ids.confirm_entry)
    assert "最后一位" in principal._rows["id_number"].error and app.root.current == "principal"
    from drivers.identity import check_digit

    right = wrong[:17] + check_digit(wrong[:17])
    ui.tap(digits["backspace"])
    ui.tap(digits[right[17]])
    ui.tap(principal.ids.confirm_entry)
    assert wait_until(ui, lambda: app.root.current == "materials", 10), principal._rows["id_number"].error
    provide_materials(ui, app, hw)
    from kiosk.privacy import mask_id_number, mask_name

    submit_and_check(ui, app, hw, (name, right, mask_name(name), mask_id_number(right)))


def test_an_item_for_the_applicant_only_says_so(kiosk_app, hw):
    """Only 本人办理: 代他人办理 is refused in words, and a card lying on the reader is read at once (nothing to
    choose first)."""
    ui, app = settled_tap(kiosk_app), kiosk_app.app
    journey = app.services.journey
    card_away(ui, hw)
    identify = start(ui, app, IN_PERSON)
    ui.tap(identify.ids.for_other)
    assert "本人" in identify.error_text and not journey.session.for_other
    assert identify.ids.for_self.text.startswith("✓")
    app.navigate("home")
    card_put_down(ui, hw, demo_card())  # on the home screen: read, ignored
    try:
        identify = start(ui, app, IN_PERSON)
        assert not identify.card_waiting and identify.ids.who_question.height == 0
        assert wait_until(ui, lambda: journey.session.identity is not None, 20), identify.error_text
    finally:
        app.cancel_session()
        card_away(ui, hw)
    assert wait_until(ui, lambda: app.root.current == "home", 10)
