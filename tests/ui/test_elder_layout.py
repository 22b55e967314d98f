"""Elder mode and the layout rules through the real app: timeouts doubled and voice on whenever elder mode is
switched on (at the home screen too), where the resident is (第n步/共6步), a disabled action that says what is
missing, a chosen face shown by shape as well as colour, and 修改 on the confirm screen."""

from __future__ import annotations

import pytest

from tests.ui.conftest import wait_until

pytestmark = pytest.mark.ui

ITEM = "330199001400120000"  # 法律援助申请: materials and a form with an address
ADDRESS = "北京市朝阳区建国路88号院3号楼2单元1201室（东侧入口）"


@pytest.fixture
def session(kiosk_app):
    from drivers.identity import CardType, Identity, Source
    from kiosk.journey import Target

    app = kiosk_app.app
    journey = app.services.journey
    target = Target.of_item(app.services.catalog.item(ITEM))
    journey.choose(target)
    journey.identity_read(Identity(Source.ID_CARD, CardType.RESIDENT, "张伟", "110105199003071239"))
    journey.session.form.update({"phone": "13800138000", "address": ADDRESS})
    yield journey
    journey.wipe()
    app.go_home()
    kiosk_app.tick(2)


@pytest.fixture
def elder_off(kiosk_app):
    yield
    kiosk_app.app.core.set_elder_mode(False)
    kiosk_app.tick(1)


def test_elder_mode_switched_on_at_home_doubles_every_timeout_and_speaks(kiosk_app, elder_off):
    app = kiosk_app.app
    app.go_home()
    assert wait_until(kiosk_app, lambda: app.root.current == "home" and not app.root.transition.is_active, 20)
    journey, idle = app.services.journey, app.core.idle
    grace, idle_s = journey.card_grace_s, idle.timeout_s
    app.muted = True
    kiosk_app.tap(kiosk_app.screen("home").ids.elder)  # the resident's touch on 长辈模式
    assert wait_until(kiosk_app, lambda: app.core.elder_mode, 20)
    factor = app.core.settings.elder.timeout_factor
    assert journey.card_grace_s == pytest.approx(grace * factor)
    assert idle.timeout_s == pytest.approx(idle_s * factor)
    assert journey.timeout_factor == pytest.approx(factor)  # the camera's waits on the resident
    assert app.muted is False  # elder mode speaks
    kiosk_app.tap(kiosk_app.screen("home").ids.elder)
    kiosk_app.tick(2)
    assert journey.card_grace_s == pytest.approx(grace)


def test_the_header_says_which_step_of_six(kiosk_app, session):
    app = kiosk_app.app
    for name, step in (("identify", 1), ("materials", 3), ("confirm", 5)):
        app.navigate(name)
        kiosk_app.tick(3)
        bar = kiosk_app.screen(name).ids.bar
        assert bar.step_text == f"第{step}步/共6步"
        title = bar.ids.title_inline if bar.compact else bar.ids.title
        assert bar.ids.step.text == (bar.step_text if not bar.compact else "")
        assert not title.shorten and title.text == bar.title
    app.navigate("help")
    kiosk_app.tick(3)
    assert kiosk_app.screen("help").ids.bar.step_text == ""  # not a step of the application


def test_a_disabled_action_says_what_is_missing(kiosk_app, session):
    app = kiosk_app.app
    app.navigate("evaluate")
    kiosk_app.tick(3)
    screen = kiosk_app.screen("evaluate")
    assert screen.ids.send.disabled
    assert screen.ids.missing.text == "还差：选一个表情"
    screen.pick(2)
    kiosk_app.tick(2)
    assert screen.ids.missing.text == "还差：至少选一个原因"
    screen.pick(5)
    kiosk_app.tick(2)
    assert not screen.ids.send.disabled and screen.ids.missing.text == ""
    face = screen.ids.face5
    assert face.chosen and face.ink == list(app.theme.color("on_primary"))  # the face drawn in the contrast colour
    assert face.ids.words.bold and face.ids.words.text == "非常满意"  # ✓ drawn in the corner, the word whole
    screen.wipe()


def test_confirm_shows_values_whole_and_edits_a_field_then_comes_back(kiosk_app, session):
    app = kiosk_app.app
    app.navigate("confirm")
    kiosk_app.tick(3)
    rows = list(reversed(kiosk_app.screen("confirm").ids.rows.children))
    address = next(row for row in rows if row.key == "address")
    assert address.value == ADDRESS  # whole, never "…"
    assert next(row for row in rows if row.key == "phone").value == "138****8000"  # still masked
    assert all(row.editable for row in rows if row.kind)
    assert not any(row.editable for row in rows if not row.kind)  # service, name, ID: from the card
    starts = {round(row.ids.v.to_window(*row.ids.v.pos)[0]) for row in rows}
    assert len(starts) == 1, starts  # every value in one column, with or without 修改 beside it
    kiosk_app.tap(address.ids.edit)
    kiosk_app.tick(3)
    assert app.root.current == "form"
    assert kiosk_app.screen("form").focus_key == "address"
    app.navigate("confirm")
    kiosk_app.tick(3)
    # materials are listed once the platform's check opened the application (not in this session): 修改 on one
    # opens the materials list
    for material in [r for r in kiosk_app.screen("confirm").ids.rows.children if r.kind == "material"][:1]:
        kiosk_app.tap(material.ids.edit)
        kiosk_app.tick(3)
        assert app.root.current == "materials"


@pytest.mark.parametrize("size", [(1080, 1920), (1920, 1080)], ids=["portrait", "landscape"])
def test_the_elder_home_shows_every_tile_whole_without_scrolling(kiosk_app, elder_off, size):
    from kivy.core.window import Window

    from screens.home import HomeScreen

    kiosk_app.app.core.set_elder_mode(True)
    home = HomeScreen(name="home-probe", size_hint=(None, None))
    Window.add_widget(home)
    home.size = size
    try:
        kiosk_app.tick(6)
        view = home.ids.tiles_scroll
        vy = view.to_window(*view.pos)[1]
        tiles = home.ids.tiles.children
        assert len(tiles) == len(kiosk_app.app.core.settings.home.tiles)
        for tile in tiles:
            y = tile.to_window(*tile.pos)[1]
            assert vy - 1 <= y and y + tile.height <= vy + view.height + 1, (tile.text, y, vy, view.height)
            assert tile.height >= kiosk_app.app.theme.touch_target - 1
    finally:
        Window.remove_widget(home)
