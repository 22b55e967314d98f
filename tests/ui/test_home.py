"""The home screen through real widgets: tiles from configuration, Chinese in the CJK font,
both orientations without overlap, elder mode, language switch, lockdown."""

from __future__ import annotations

import pytest

pytestmark = pytest.mark.ui


def walk(widget):
    yield widget
    for child in widget.children:
        yield from walk(child)


def labels_in(widget):
    from kivy.uix.label import Label

    return [w for w in walk(widget) if isinstance(w, Label) and w.text]


def test_tiles_come_from_configuration(kiosk_app):
    home = kiosk_app.screen("home")
    configured = [tile.label.zh_CN for tile in kiosk_app.app.core.settings.home.tiles]
    shown = [button.text for button in reversed(home.ids.tiles.children)]
    assert shown == configured
    # touching a tile opens it (its event once raised TypeError: two values for emit's ``kind``)
    tile = next(b for b in home.ids.tiles.children if b.tile.kind == "at_terminal")
    home.open_tile(tile)
    kiosk_app.tick(2)
    assert kiosk_app.app.root.current != "home"
    kiosk_app.app.go_home()
    kiosk_app.tick(2)


def test_the_clock_is_current_as_home_slides_back_in(kiosk_app):
    """The wiped home once showed the minute it was left (15:06 after a receipt stamped 15:07)."""
    from kiosk import clock

    app, home = kiosk_app.app, kiosk_app.screen("home")
    app.navigate("search")
    kiosk_app.tick(2)
    home.clock_text = "00:00"  # as it was when the resident left home, long ago
    before = clock.now().strftime("%H:%M")
    app.go_home()
    kiosk_app.tick(1)  # the transition has only begun: on_enter has not run
    assert home.clock_text in {before, clock.now().strftime("%H:%M")}


def test_home_shows_the_24_hour_service_and_site_name(kiosk_app):
    home = kiosk_app.screen("home")
    texts = {label.text for label in labels_in(home)}
    assert "24小时自助服务" in texts
    assert kiosk_app.app.core.settings.kiosk.site_name in texts


def test_chinese_renders_with_the_cjk_font_not_roboto(kiosk_app):
    from kivy.core.text import Label as CoreLabel
    from kivy.core.text import LabelBase

    registered = LabelBase._fonts["Roboto"]  # the default font name now maps to the CJK font
    assert all("wqy" in path or "Noto" in path or "Droid" in path for path in registered if path)
    assert kiosk_app.app.font_path.endswith((".ttc", ".ttf", ".otf"))

    def pixels(text: str) -> bytes:
        label = CoreLabel(text=text, font_size=48)
        label.refresh()
        return bytes(label.texture.pixels)

    # With a font lacking the glyphs both would render the same "tofu" box.
    assert pixels("通") != pixels("办")


def _bounds_ok(screen) -> list[str]:
    """Every visible label and button lies inside the screen, and sibling widgets do not overlap."""
    problems = []
    for widget in walk(screen):
        if widget is screen or widget.opacity == 0 or widget.height <= 0:
            continue
        x, y = widget.to_window(*widget.pos)
        inside = screen.x - 1 <= x and screen.y - 1 <= y
        inside = inside and x + widget.width <= screen.right + 1 and y + widget.height <= screen.top + 1
        scrolled = any(type(p).__name__ == "ScrollView" for p in walk_parents(widget))
        if not inside and not scrolled:
            problems.append(f"{type(widget).__name__} {getattr(widget, 'text', '')!r} outside the screen")
        from kivy.uix.scrollview import ScrollView

        if isinstance(widget, ScrollView):
            continue
        siblings = [c for c in widget.children if c.opacity and c.height > 0]
        for i, a in enumerate(siblings):
            for b in siblings[i + 1 :]:
                if a.collide_widget(b) and _overlap_area(a, b) > 4:
                    problems.append(f"{type(a).__name__} overlaps {type(b).__name__} in {type(widget).__name__}")
    return problems


def walk_parents(widget):
    parent = widget.parent
    while parent is not None and parent is not parent.parent:
        yield parent
        parent = parent.parent


def _overlap_area(a, b) -> float:
    w = min(a.right, b.right) - max(a.x, b.x)
    h = min(a.top, b.top) - max(a.y, b.y)
    return max(0, w) * max(0, h)


@pytest.mark.parametrize("size", [(1080, 1920), (1920, 1080)])
@pytest.mark.parametrize("elder", [False, True])
def test_home_lays_out_in_both_orientations_without_overlap(kiosk_app, size, elder):
    from screens.home import HomeScreen

    core = kiosk_app.app.core
    core.set_elder_mode(elder)
    kiosk_app.tick()
    from kivy.core.window import Window

    screen = HomeScreen(name=f"probe-{size[0]}-{elder}", size_hint=(None, None))
    screen.size = size  # set after construction: FloatLayout binds its layout trigger late in __init__
    Window.add_widget(screen)  # laid out by the real window, at its own size, behind the app's screens
    try:
        kiosk_app.tick(5)
        assert screen.tile_columns == (4 if size[0] > size[1] else 2)
        assert len(screen.ids.tiles.children) == len(core.settings.home.tiles)
        assert _bounds_ok(screen) == []
        for button in (screen.ids.search, screen.ids.progress, screen.ids.language, screen.ids.elder):
            assert button.height >= kiosk_app.app.theme.px(100) - 1
    finally:
        Window.remove_widget(screen)
        core.set_elder_mode(False)
        kiosk_app.tick()


def test_elder_mode_scales_text_and_switches_to_high_contrast(kiosk_app):
    from screens.theme import TEXT_PAIRS, contrast_ratio

    home = kiosk_app.screen("home")
    normal_size, normal_body = home.ids.hero.font_size, kiosk_app.app.theme.font_body
    entry = home.ids.elder_entry  # the plain-to-see way in, beside the search (MIIT 适老化)
    assert entry.opacity == 1 and entry.width > home.width * 0.25 and entry.text == "长辈模式\n大字 · 语音播报"
    kiosk_app.tap(entry)
    try:
        theme = kiosk_app.app.theme
        assert entry.opacity == 0 and entry.disabled  # elder mode: 标准模式 in the bottom row leads back
        # every text grows by the elder scale; the home's greeting less, so that all tiles fit without scrolling
        assert theme.elder and theme.font_body >= normal_body * 1.5 - 0.5 and home.ids.hero.font_size > normal_size
        assert home.ids.elder.text == "标准模式"
        for fg, bg in TEXT_PAIRS:
            assert contrast_ratio(theme.color(fg), theme.color(bg)) >= 7.0, (fg, bg)
        assert kiosk_app.app.core.idle.timeout_s == kiosk_app.app.core.settings.idle.timeout_s * 2
    finally:
        kiosk_app.tap(home.ids.elder)
    assert not kiosk_app.app.theme.elder


def test_language_switch_relabels_everything(kiosk_app):
    home = kiosk_app.screen("home")
    kiosk_app.tap(home.ids.language)
    try:
        assert home.ids.hero.text == "24-hour self-service"
        assert home.ids.language.text == "中文"
        assert home.ids.tiles.children[-1].text == "Social security"
        assert "Sunday" in home.date_text or "day," in home.date_text
    finally:
        kiosk_app.tap(home.ids.language)
    assert home.ids.hero.text == "24小时自助服务"


def test_escape_and_window_close_do_not_exit(kiosk_app):
    from kivy.config import Config
    from kivy.core.window import Window

    assert Config.get("kivy", "exit_on_escape") == "0"
    assert Window.dispatch("on_keyboard", 27, 41, None, []) is True
    assert Window.dispatch("on_request_close") is True
    kiosk_app.tick()
    assert kiosk_app.app.root.current == "home"


def test_every_screen_follows_the_first_frame(kiosk_app):
    from screens.app import SCREENS
    from screens.staff_desk import STAFF_SCREENS

    assert set(SCREENS) | set(STAFF_SCREENS) <= set(kiosk_app.app.root.screen_names)


def test_a_screen_not_built_yet_is_built_when_asked_for(kiosk_app):
    """The first frame shows home alone; a resident or staff member faster than the next frame still gets there."""
    app = kiosk_app.app
    root = app.root
    root.remove_widget(root.get_screen("help"))
    root.remove_widget(root.get_screen("staff_pin"))
    try:
        assert app.navigate("help")
        kiosk_app.tick(5)
        assert root.current == "help" and root.has_screen("staff_pin")
        assert len(root.screen_names) == len(set(root.screen_names))  # nothing built twice
    finally:
        app.go_home()
        kiosk_app.tick(5)
