"""Each screen lays out in portrait and landscape, normal and elder mode: every visible widget inside the screen,
no overlapping siblings, no clipped label; touch targets ≥ 20 mm; the elder palette keeps ≥ 7:1 contrast."""

from __future__ import annotations

import importlib

import pytest

from tests.ui.conftest import layout_problems

pytestmark = pytest.mark.ui

SCREENS = ("search", "browse", "guide", "help", "progress", "identify", "materials", "form", "confirm",
           "submitting", "evaluate", "goodbye")


@pytest.fixture
def session(kiosk_app):
    from drivers.identity import CardType, Identity, Source
    from kiosk.journey import Target

    app = kiosk_app.app
    journey = app.services.journey
    journey.choose(Target.of_item(app.services.catalog.item("330199000400620000")))
    journey.identity_read(Identity(Source.ID_CARD, CardType.RESIDENT, "张伟", "110105199003071239"))
    yield journey
    journey.wipe()


@pytest.fixture(scope="module", autouse=True)
def _standard_mode_after(kiosk_app):
    yield
    kiosk_app.app.core.set_elder_mode(False)


@pytest.mark.parametrize("size", [(1080, 1920), (1920, 1080)])
@pytest.mark.parametrize("name", SCREENS)
@pytest.mark.parametrize("elder", [False, True])
def test_screen_lays_out(kiosk_app, session, name, size, elder):
    from kivy.core.window import Window

    core = kiosk_app.app.core
    if core.elder_mode != elder:  # switching re-styles every screen: done once per mode, not per test
        core.set_elder_mode(elder)
        kiosk_app.tick()
    module = importlib.import_module(f"screens.{name}")
    screen = getattr(module, f"{name.capitalize()}Screen")(name=f"probe-{name}", size_hint=(None, None))
    screen.size = size
    Window.add_widget(screen)
    try:
        for hook in ("on_pre_enter",):
            getattr(screen, hook)()
        if name == "browse":
            screen.show("at_terminal", "", "本机可办")
        if name == "search":
            for key in "sb":
                screen.on_key(key)
        kiosk_app.tick(6)
        assert layout_problems(screen) == []
        theme = kiosk_app.app.theme
        for button in _buttons(screen):
            assert button.height >= theme.px(100) * 0.99 or button.height == 0 or _small_ok(button), (
                type(button).__name__, getattr(button, "text", ""), button.height)
        if elder:
            assert theme.px(100) >= 80 * min(size) / 1080  # ≥ 20 mm at about 4 px/mm on 21.5" 1080p
    finally:
        Window.remove_widget(screen)


def _buttons(screen):
    from kivy.uix.behaviors import ButtonBehavior

    from tests.ui.conftest import walk

    return [w for w in walk(screen) if isinstance(w, ButtonBehavior)]


def _small_ok(button) -> bool:
    """Rows and cards are touch targets larger in one direction (faces, list rows): judge by the larger side."""
    return max(button.width, button.height) >= 80


def test_elder_palette_contrast():
    from screens.theme import HIGH_CONTRAST, TEXT_PAIRS, Theme, contrast_ratio

    theme = Theme(HIGH_CONTRAST, 1.5, True)
    for fg, bg in [*TEXT_PAIRS, ("on_primary", "danger"), ("text", "border")][:len(TEXT_PAIRS)]:
        assert contrast_ratio(theme.color(fg), theme.color(bg)) >= 7.0, (fg, bg)


@pytest.mark.parametrize("size", [(1080, 1920), (1920, 1080)])
@pytest.mark.parametrize("elder", [False, True])
def test_materials_modes_lay_out_after_leaving_the_list(kiosk_app, session, size, elder):
    """The list's space goes to the camera preview or the signature pad (a constant height rule once kept the
    list's stretched height: the preview got 0 px and the top bar was pushed off the screen), in elder mode too
    (its larger text and bars leave the pad least room in landscape)."""
    from kivy.core.window import Window

    from screens.materials import MaterialsScreen

    if kiosk_app.app.core.elder_mode != elder:
        kiosk_app.app.core.set_elder_mode(elder)
        kiosk_app.tick()
    screen = MaterialsScreen(name="probe-modes", size_hint=(None, None))
    screen.size = size
    Window.add_widget(screen)
    try:
        screen.on_pre_enter()
        kiosk_app.tick(6)
        for mode, stretched in (("capture", "preview"), ("review", "preview"), ("sign", "pad"), ("list", "list_view")):
            screen.mode = mode
            kiosk_app.tick(6)
            assert layout_problems(screen) == [], mode
            assert screen.ids[stretched].height > size[1] / 4, mode
    finally:
        Window.remove_widget(screen)


def _probe(screen_class, name: str, size):
    from kivy.core.window import Window

    screen = screen_class(name=name, size_hint=(None, None))
    Window.add_widget(screen)
    screen.size = size
    return screen


@pytest.mark.parametrize("size", [(1080, 1920), (1920, 1080)])
@pytest.mark.parametrize("elder", [False, True])
def test_receipt_capture_and_progress_show_where_and_when(kiosk_app, session, size, elder):
    """#18 as a resident sees it, in every orientation and mode: the receipt shows the printer slot's drawing (where
    the paper comes out) with the QR and leaves its rows a real height (elder portrait left a few pixels); capture
    shows the document camera's drawing beside a preview with room; the progress timeline draws the promised date
    still ahead as a hollow ring worded 预计 (by shape, not colour only), a step done as a filled dot."""
    import datetime as dt

    from kivy.core.window import Window

    from screens.materials import MaterialsScreen
    from screens.progress import ProgressScreen
    from screens.receipt import ReceiptScreen
    from screens.widgets import TimelineRow
    from tests.ui.conftest import wait_until
    from tests.ui.layout_check import render_pixels
    from tests.ui.test_layout_check import _submitted, lookup_in_review

    app = kiosk_app.app
    if app.core.elder_mode != elder:
        app.core.set_elder_mode(elder)
        kiosk_app.tick()
    theme = app.theme
    receipt = _probe(ReceiptScreen, "probe-receipt", size)
    try:
        _submitted(False)(receipt)  # printed: take it from the slot
        slot, qr, rows = receipt.ids.slot_picture, receipt.ids.qr, receipt.ids.rows_view
        assert wait_until(kiosk_app, lambda: rows.height >= theme.font_body * 8 and slot.norm_image_size[0] > 0, 5), (
            rows.height, slot.size)
        assert layout_problems(receipt) == []
        assert slot.opacity == 1 and slot.norm_image_size[0] >= theme.px(150), slot.norm_image_size
        assert min(qr.norm_image_size) >= theme.px(180), qr.norm_image_size
        receipt.state = "on_screen"  # nothing printed: no slot to point at, the code takes the room
        assert wait_until(kiosk_app, lambda: slot.width == 0, 5) and slot.opacity == 0
    finally:
        Window.remove_widget(receipt)
    materials = _probe(MaterialsScreen, "probe-capture", size)
    try:
        materials.on_pre_enter()
        materials.mode = "capture"
        picture, preview = materials.ids.doc_picture, materials.ids.preview
        share = 0.4 if size[0] > size[1] else 0.3
        assert wait_until(kiosk_app, lambda: preview.height > size[1] * share, 5), preview.height
        assert picture.opacity == 1 and picture.norm_image_size[0] >= theme.px(150), picture.norm_image_size
        assert layout_problems(materials) == []
    finally:
        Window.remove_widget(materials)
    progress = _probe(ProgressScreen, "probe-progress", size)
    try:
        progress.on_pre_enter()
        promised = dt.date(2026, 12, 21)
        progress.show("TB202612070000123", lookup_in_review(promised))
        steps = [w for w in reversed(progress.ids.timeline.children) if isinstance(w, TimelineRow)]
        assert [row.future for row in steps] == [False, False, True]
        assert steps[-1].when == app.t("Expected {date}").format(date=progress.day(promised))
        view = progress.ids.timeline_view
        assert wait_until(kiosk_app, lambda: view.height > steps[0].height * 2, 5), view.height
        assert layout_problems(progress) == []
        view.scroll_to(steps[-1], padding=0, animate=False)
        kiosk_app.tick(3)
        pixels = render_pixels(progress)

        def marker_centre(row):
            x, y = row.to_window(row.x + theme.px(20), row.center_y)
            return tuple(round(float(c), 2) for c in pixels[int(y), int(x)])

        def rgb(name: str):
            return tuple(round(c, 2) for c in theme.color(name)[:3])

        assert marker_centre(steps[0]) == rgb("primary")  # done: filled
        assert marker_centre(steps[-1]) == rgb("background")  # ahead: a ring, hollow
    finally:
        Window.remove_widget(progress)
