"""The form's inputs driven by touches on the real Kivy widgets offscreen, with the real engines behind them:
an address typed by pinyin on QWERTY and by handwriting, a candidate from page 2, the ID card's address in one
touch, a date in four touches, the digit pad for a phone number."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.ui.conftest import wait_until, walk
from tests.ui.layout_check import fully_visible

pytestmark = pytest.mark.ui

ITEM = "330199000400620000"  # 居住证申领: phone, address (现居住地址), basis (choice), arrive_date (date)
ADDRESS = "浙江省示例县城关镇人民路18号"
STROKES = json.loads((Path(__file__).parents[1] / "ime" / "strokes.json").read_text(encoding="utf-8"))


@pytest.fixture
def form(kiosk_app):
    from kivy.core.window import Window

    from drivers.identity import CardType, Identity, Source
    from kiosk.journey import Target
    from screens.form import FormScreen

    app = kiosk_app.app
    journey = app.services.journey
    journey.choose(Target.of_item(app.services.catalog.item(ITEM)))
    journey.identity_read(Identity(Source.ID_CARD, CardType.RESIDENT, "张伟", "110105199003071239", address=ADDRESS))
    screen = FormScreen(name="probe-form", size_hint=(None, None))
    Window.add_widget(screen)
    screen.size = (1080, 1920)  # after adding: a size set before never lays the screen's children out
    screen.on_pre_enter()
    kiosk_app.tick(6)
    yield screen
    Window.remove_widget(screen)
    journey.wipe()
    kiosk_app.tick(2)


def _type(ui, keyboard, letters: str) -> None:
    keys = keyboard.ids.qwerty.keys()
    for ch in letters:
        ui.tap(keys[ch])


def _candidate(keyboard, text: str):
    return next(b for b in reversed(keyboard.ids.candidates.children) if b.text == text)


def _value(form, key: str) -> str:
    return str(form.journey.session.form.get(key) or "")


def test_an_address_typed_by_pinyin_on_qwerty(kiosk_app, form) -> None:
    ui = kiosk_app
    ui.tap(form._rows["address"])
    keyboard = form.ids.keyboard
    assert form.keyboard == "chinese"
    ui.tap(keyboard.ids.mode_pinyin)
    # QWERTY rows (the shorter ones centred by half-key margins), no 删除 among the letters
    assert [len(row.children) for row in reversed(keyboard.ids.qwerty.children)] == [10, 11, 9]
    _type(ui, keyboard, "renmin")
    assert keyboard.preedit == "ren min" and keyboard.cands[0] == "人民"
    assert len(keyboard.cands) == 6  # six large candidates a page
    ui.tap(_candidate(keyboard, "人民"))
    assert _value(form, "address") == "人民" and form._rows["address"].value == "人民"
    # the field and its text in sight right above the keyboard
    assert wait_until(ui, lambda: fully_visible(form._rows["address"], form)), form.ids.scroll.scroll_y
    _type(ui, keyboard, "zhongguoren")  # a phrase picked in parts, as on a phone
    ui.tap(_candidate(keyboard, "中国"))
    assert _value(form, "address") == "人民" and keyboard.preedit.startswith("中国")
    ui.tap(_candidate(keyboard, "人"))
    assert _value(form, "address") == "人民中国人"
    ui.tap(keyboard.ids.delete)
    ui.tap(keyboard.ids.delete)
    assert _value(form, "address") == "人民中"
    _type(ui, keyboard, "bei")
    ui.tap(keyboard.ids.delete)  # 删除 takes a letter of the pinyin first, not the field's text
    assert keyboard.preedit.replace(" ", "") == "be" and _value(form, "address") == "人民中"


def test_a_candidate_from_page_two(kiosk_app, form) -> None:
    from kiosk.ime.pinyin import candidates
    from screens.keyboard import pinyin_engine

    ui = kiosk_app
    ui.tap(form._rows["address"])
    keyboard = form.ids.keyboard
    ui.tap(keyboard.ids.mode_pinyin)
    _type(ui, keyboard, "shi")
    first_page = list(keyboard.cands)
    assert keyboard.has_more and keyboard.ids.previous.disabled
    ui.tap(keyboard.ids.more)
    assert keyboard.page == 1 and not set(first_page) & set(keyboard.cands)
    wanted = candidates(pinyin_engine(), "shi", 12)[8]
    assert keyboard.cands[2] == wanted
    ui.tap(keyboard.ids.candidates.children[-3])  # the third candidate on page 2
    assert _value(form, "address") == wanted and keyboard.cands == [] and keyboard.page == 0


def _draw(ui, pad, strokes) -> None:
    """Real touches on the writing box: down, moves through the points, up (0–1000 canvas, y down)."""
    from kivy.tests.common import UnitTestTouch

    side = min(pad.width, pad.height)
    left, top = pad.x + (pad.width - side) / 2, pad.y + (pad.height + side) / 2
    for stroke in strokes:
        points = [pad.to_window(left + x / 1000 * side, top - y / 1000 * side) for x, y in stroke]
        touch = UnitTestTouch(*points[0])
        touch.touch_down()
        for x, y in points[1:]:
            touch.touch_move(x, y)
        touch.touch_up()
        ui.tick(1)


def test_an_address_written_by_hand(kiosk_app, form) -> None:
    ui = kiosk_app
    ui.tap(form._rows["address"])
    keyboard = form.ids.keyboard
    ui.tap(keyboard.ids.mode_handwriting)
    pad = keyboard.ids.pad
    # a square box for one character (laid out in the frames after the mode key: wait, a busy machine lags)
    assert wait_until(ui, lambda: pad.width == pad.height > 300, 20), pad.size
    for character in ("中", "上", "工", "人"):
        _draw(ui, pad, STROKES[character])
        assert wait_until(ui, lambda c=character: c in keyboard.cands[:3], 20), keyboard.cands  # may lag a frame
        ui.tap(_candidate(keyboard, character))
        assert pad.stroke_count == 0 and keyboard.cands == []  # the box is clear for the next character
    assert _value(form, "address") == "中上工人"
    _draw(ui, pad, STROKES["十"][:1])  # a false start: 删除 clears the box, the field keeps its text
    ui.tap(keyboard.ids.delete)
    assert pad.stroke_count == 0 and _value(form, "address") == "中上工人"


def test_the_id_cards_address_is_one_touch(kiosk_app, form) -> None:
    ui = kiosk_app
    ui.tap(form._rows["address"])
    assert form.offers == [ADDRESS] and ADDRESS in form.ids.offer.text and form.ids.offer.opacity == 1
    # right under the field it fills, both in sight above the keyboard
    assert wait_until(ui, lambda: fully_visible(form._rows["address"], form) and fully_visible(form.ids.offer, form))
    ui.tap(form.ids.offer)
    assert _value(form, "address") == ADDRESS and form.offers == []
    ui.tap(form._rows["phone"])
    assert form.offers == []  # only address fields are offered the card's address


def test_a_date_in_four_touches_and_choices_as_buttons(kiosk_app, form) -> None:
    ui = kiosk_app
    ui.tap(form._rows["arrive_date"])
    assert form.keyboard == "date"
    picker = form.ids.date

    def touch(text: str) -> None:
        ui.tap(next(b for b in picker.ids.choices.children if b.text == text))

    touch(form.app.core.t("{decade}s").format(decade=2010))
    touch("2016")
    touch(form.app.core.t("{month}-month").format(month=2))
    assert len(picker.ids.choices.children) == 29  # 2016 was a leap year
    touch("29")
    assert _value(form, "arrive_date") == "2016-02-29" and not form._rows["arrive_date"].error
    ui.tap(form._rows["basis"])
    assert form.keyboard == "options"
    buttons = list(reversed(form.ids.options.children))
    ui.tap(buttons[1])
    assert _value(form, "basis") == buttons[1].value and buttons[1].chosen and not buttons[0].chosen


def test_phone_on_the_digit_pad(kiosk_app, form) -> None:
    ui = kiosk_app
    ui.tap(form._rows["phone"])
    assert form.keyboard == "digits" and form.ids.keyboard.opacity == 0
    keys = {k.key: k for k in form.ids.digits.children}
    for ch in "13800138000":
        ui.tap(keys[ch])
    assert _value(form, "phone") == "13800138000" and not form._rows["phone"].error


def _shown(widget) -> bool:
    return widget.opacity > 0 and widget.width > 0 and widget.height > 0


def _on_screen(keyboard, widget) -> bool:
    x, y = widget.to_window(widget.x, widget.y)
    left, bottom = keyboard.to_window(keyboard.x, keyboard.y)
    return left - 1 <= x and x + widget.width <= left + keyboard.width + 1 and bottom - 1 <= y


def test_the_candidate_bar_shows_only_candidates_and_one_delete(kiosk_app, form) -> None:
    ui = kiosk_app
    ui.tap(form._rows["address"])
    keyboard = form.ids.keyboard
    ui.tap(keyboard.ids.mode_pinyin)
    deletes = [w for w in walk(keyboard) if getattr(w, "text", "") == form.app.core.t("Delete")]
    assert deletes == [keyboard.ids.delete]  # one 删除 for every mode, not one more at the end of the letters

    def cells() -> list:
        return [b for b in keyboard.ids.candidates.children if _shown(b)]

    _type(ui, keyboard, "shi")  # many candidates: a full page and 下一页 beside it, no 上一页 on page 1
    assert wait_until(ui, lambda: len(cells()) == 6 and _shown(keyboard.ids.more)), keyboard.cands
    assert not _shown(keyboard.ids.previous) and all(_on_screen(keyboard, b) for b in [*cells(), keyboard.ids.more])
    ui.tap(keyboard.ids.more)
    assert wait_until(ui, lambda: _shown(keyboard.ids.previous) and _shown(keyboard.ids.more))
    ui.tap(keyboard.ids.mode_handwriting)  # the same bar under the writing box: what to do until a character is
    assert wait_until(ui, lambda: not cells() and not _shown(keyboard.ids.arrows) and _shown(keyboard.ids.hint))
    pad = keyboard.ids.pad
    assert wait_until(ui, lambda: pad.width == pad.height > 300, 20), pad.size
    _draw(ui, pad, STROKES["中"])
    assert wait_until(ui, lambda: len(cells()) == len(keyboard.cands) > 0 and not _shown(keyboard.ids.hint), 20)
    while keyboard.has_more:  # the last page: 上一页 alone, a cell for each candidate there is, all of them whole
        ui.tap(keyboard.ids.more)
    assert wait_until(ui, lambda: _shown(keyboard.ids.previous) and not _shown(keyboard.ids.more))
    assert len(cells()) == len(keyboard.cands) and all(_on_screen(keyboard, b) and b.text for b in cells())
    ui.tap(keyboard.ids.delete)  # the false start goes: the bar says what to do again
    assert wait_until(ui, lambda: not cells() and not _shown(keyboard.ids.arrows) and _shown(keyboard.ids.hint))


def test_a_service_found_by_its_name_written_by_hand(kiosk_app) -> None:
    """The search screen's keyboard is the form's: initials on QWERTY, or the name written a character at a time,
    the results following each character picked."""
    from tests.ui.conftest import settled_tap

    app = kiosk_app.app
    ui = settled_tap(kiosk_app)
    app.navigate("search")
    assert wait_until(ui, lambda: app.root.current == "search" and not app.root.transition.is_active)
    search = ui.screen("search")
    keyboard = search.ids.keyboard
    assert keyboard.mode == "letters" and _shown(keyboard.ids.mode_handwriting)
    assert not _shown(keyboard.ids.mode_pinyin) and not _shown(keyboard.ids.mode_digits)
    _type(ui, keyboard, "gs")  # initials as before (工伤…)
    assert search.query == "gs" and search.ids.results.data
    ui.tap(keyboard.ids.erase)
    assert search.query == "" and not search.ids.results.data
    ui.tap(keyboard.ids.mode_handwriting)
    pad = keyboard.ids.pad
    assert wait_until(ui, lambda: pad.width == pad.height > 300, 20), pad.size
    _draw(ui, pad, STROKES["工"])
    assert wait_until(ui, lambda: "工" in keyboard.cands[:3], 20), keyboard.cands
    ui.tap(_candidate(keyboard, "工"))
    rows = search.ids.results.data
    assert search.query == "工" and rows and all("工" in row["text"] or row["kind"] == "bundle" for row in rows[:3])
    assert search.ids.query.text == "工"
    ui.tap(keyboard.ids.delete)  # the one 删除 takes the character back
    assert search.query == "" and not search.ids.results.data
    app.navigate("home")
    assert wait_until(ui, lambda: app.root.current == "home" and not app.root.transition.is_active)


def test_elder_mode_opens_handwriting(kiosk_app, form) -> None:
    """Many elderly residents cannot type pinyin: in elder mode the form's Chinese fields and the search open the
    writing box, the other modes one labelled touch away."""
    app = kiosk_app.app
    app.core.set_elder_mode(True)
    try:
        assert wait_until(kiosk_app, lambda: app.elder)
        form.on_pre_enter()
        form.focus("address")
        keyboard = form.ids.keyboard
        assert form.keyboard == "chinese" and keyboard.mode == "handwriting"
        # above the open keyboard the field being written, its label and the card's address offered under it
        # are in sight (elder portrait showed another field and an echo line)
        row = form._rows["address"]
        assert wait_until(kiosk_app, lambda: row.focused and fully_visible(row, form) and form.offers
                          and fully_visible(form.ids.offer, form)), (row.pos, form.ids.scroll.scroll_y)
        assert keyboard.ids.mode_handwriting.text.endswith("手写") and keyboard.ids.mode_handwriting.chosen
        assert keyboard.ids.mode_pinyin.text == "拼音" and _shown(keyboard.ids.mode_pinyin)
        assert wait_until(kiosk_app, lambda: _shown(keyboard.ids.pad) and keyboard.ids.hint.text == "在方框里写一个字")
        search = app.screen("search")
        search.dispatch("on_pre_enter")
        assert search.ids.keyboard.mode == "handwriting"
    finally:
        app.core.set_elder_mode(False)
        wait_until(kiosk_app, lambda: not app.elder)
