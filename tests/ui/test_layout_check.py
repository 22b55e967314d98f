"""The layout check: every screen the app has (enumerated from the running app, so a screen added later is
covered without touching this file) is rendered offscreen in portrait, landscape, elder mode (both
orientations) and English (standard and elder), and must show no shortened title, no overflowing text, no word
broken inside, no line starting with closing punctuation, every text ≥ 7:1 and every control's edge ≥ 3:1
(tests/ui/layout_check.py). Screens with several states are checked in each (``STATES``).

With TONGBAN_LAYOUT_PNG=DIR every rendered picture is written there as <variant>-<screen>[-<state>].png, to look
at. One test per variant (≈ 20 screens each): the whole check takes about a minute on one core.
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable
from pathlib import Path

import pytest

from tests.ui.layout_check import check_screen, render_pixels, walk_visible

pytestmark = pytest.mark.ui

# (name, size, elder, language)
VARIANTS = (
    ("portrait", (1080, 1920), False, "zh_CN"),
    ("landscape", (1920, 1080), False, "zh_CN"),
    ("elder-portrait", (1080, 1920), True, "zh_CN"),
    ("elder-landscape", (1920, 1080), True, "zh_CN"),
    ("english", (1080, 1920), False, "en"),
    ("english-elder-landscape", (1920, 1080), True, "en"),
)

STROKES = json.loads((Path(__file__).parents[1] / "ime" / "strokes.json").read_text(encoding="utf-8"))
LONG_ADDRESS = "北京市朝阳区建国路88号院3号楼2单元1201室（东侧入口）"


def _search(screen) -> None:
    for key in "flyz":
        screen.on_key(key)


def _browse(screen) -> None:
    screen.show("at_terminal", "", "本机可办")


def _evaluate_poor(screen) -> None:
    screen.pick(2)
    grid = screen.ids.reasons
    # half the reasons chosen (✓ and bold make a label wider), as a checkerboard: two chosen side by side would
    # hide each other's edge from the check; 办事指南不准确、不清楚 (the second) among them
    for index, toggle in enumerate(reversed(grid.children)):
        if (index // grid.cols + index % grid.cols) % 2 == 1:
            screen.toggle_reason(toggle.reason)


def _evaluate_good(screen) -> None:
    screen.pick(5)


def _settle(frames: int = 4) -> None:
    from kivy.base import EventLoop

    for _ in range(frames):
        EventLoop.idle()


def _keyboard_in(mode: str, keyboard) -> None:
    """The ChineseKeyboard in ``mode`` with candidates showing: pinyin typed, or a character written."""
    keyboard.set_mode(mode)
    _settle()  # the writing box laid out before the finger draws in it
    if mode == "pinyin":
        for ch in "chaoyangqu":
            keyboard.on_letter(ch)
    elif mode == "handwriting":
        keyboard.ids.pad.draw(STROKES["中"])


def _form_keyboard(mode: str) -> Callable[[object], None]:
    def apply(screen) -> None:
        from kiosk.form_input import input_kind

        screen.focus(next(f.key for f in screen._fields() if input_kind(str(f.type)) == "chinese"))
        screen.offers = ["北京市东城区景山前街4号院东区5号楼3单元501室"]  # the card's address offered too
        _keyboard_in(mode, screen.ids.keyboard)

    return apply


def _search_written(screen) -> None:
    _keyboard_in("handwriting", screen.ids.keyboard)


def _evaluate_commenting(screen) -> None:
    screen.pick(2)
    screen.toggle_comment()  # the comment keyboard open


def _scanning(screen) -> None:
    screen.scanning = True  # the receipt-QR picture in place of the timeline


def _mode(mode: str) -> Callable[[object], None]:
    def apply(screen) -> None:
        screen.mode = mode

    return apply


def _for_other(screen) -> None:
    screen.for_other = True  # 代他人办理 chosen (the flag only: the probe's journey stays as it is)


def _all_ways(screen) -> None:
    screen.card_ok = screen.qr_ok = True  # a card reader and a camera ready: every way offered


def _principal_entered(screen) -> None:
    screen.choose("enter")
    screen.entered_name = "王芳"
    screen.set_value("王芳")
    screen.focus("id_number")
    screen.set_value("330199193001010021")  # a wrong check digit: its message under the field
    screen.confirm_entry()


def _held(screen) -> None:  # a full disk at submit: the application kept until it can be saved (kiosk.journey)
    from kivy.app import App

    screen.error_text = App.get_running_app().core.t(
        "This kiosk's storage is full. Your application is kept and will be saved as soon as there is room. "
        "Please wait here."
    )


def _submitted(queued: bool) -> Callable[[object], None]:
    """The receipt of a submission as the outbox and the platform simulator number it: the platform's TB number
    (drivers/sim/platform) or, while queued, the outbox's local reference, with its QR and every row of the
    document kiosk.applications prints (no printer here: printed, or shown on the screen while queued)."""

    def apply(screen) -> None:
        import datetime as dt

        from kivy.app import App

        from kiosk.applications import MaterialLine, Submission, build_receipt

        now = dt.datetime(2026, 12, 7, 10, 0)
        screen.journey.session.submission = Submission(
            reference="K0001-7QX2M-000123", submitted_at=now, title="法律援助申请", item_names=("法律援助申请",),
            is_bundle=False, applicant_name="张*", applicant_id="110105********1239", agent_name="王*",
            agent_id="330199********0021", office="示例县司法局法律援助中心", route_kind="local",
            materials=(MaterialLine("法律援助申请表", "file"), MaterialLine("身份证", "certificate")),
            promised_by=dt.date(2026, 12, 21), approximate=queued, immediate=False,
            next_steps=("请留意短信通知，按时到窗口领取结果。",), consult_phone="0571-12345678",
            application_no=None if queued else f"TB{now:%Y%m%d}{123:07d}", progress_url="https://example.gov.cn/p")
        sub = screen.journey.session.submission
        settings = App.get_running_app().core.settings
        kiosk = settings.kiosk
        screen.document = lambda t=None: build_receipt(sub, site_name=kiosk.site_name, kiosk_id=kiosk.id,
                                                       hotline=settings.routing.hotline, t=t)
        screen.number, screen.queued = sub.number, queued
        screen.build_rows()
        screen.state = "on_screen" if queued else "printed"

    return apply


def lookup_in_review(promised_by):
    """A platform answer: accepted, in review, and the promised date still ahead."""
    import datetime as dt

    from kiosk.applications.progress import Lookup
    from kiosk.platform.answers import HistoryEntry, Progress

    history = (HistoryEntry(dt.datetime(2026, 12, 7, 2, 0, tzinfo=dt.UTC), "accepted", ""),
               HistoryEntry(dt.datetime(2026, 12, 8, 7, 49, tzinfo=dt.UTC), "in_review", "材料审查中"))
    progress = Progress(application_no="TB202612070000123", status="in_review", promised_by=promised_by,
                        history=history)
    return Lookup("platform", "", progress=progress, application_no=progress.application_no)


def _answered(screen) -> None:  # the timeline: two steps done, the promised date still ahead (not done yet)
    import datetime as dt

    screen.show("TB202612070000123", lookup_in_review(dt.date(2026, 12, 21)))


def _printing(screen) -> None:  # the drawing of the slot and 请等回执打印完成, no 重新打印 yet
    _submitted(False)(screen)
    screen.state = "printing"


def _kept(number: str) -> Callable[[object], None]:
    def apply(screen) -> None:  # the resident leaves while the full disk holds their application (goodbye.KEPT)
        screen.kept, screen.number = True, number

    return apply


# Extra states of a screen beyond "entered" (its on_pre_enter): (state name, what puts the screen in it).
STATES: dict[str, list[tuple[str, Callable[[object], None]]]] = {
    "search": [("typed", _search), ("written", _search_written)],
    "browse": [("listed", _browse)],
    "evaluate": [("poor", _evaluate_poor), ("good", _evaluate_good), ("commenting", _evaluate_commenting)],
    "progress": [("answered", _answered), ("scanning", _scanning)],
    "form": [("pinyin", _form_keyboard("pinyin")), ("handwriting", _form_keyboard("handwriting"))],
    "materials": [("sign", _mode("sign")), ("capture", _mode("capture"))],
    "identify": [("for_other", _for_other), ("card_waiting", lambda screen: setattr(screen, "card_waiting", True))],
    "principal": [("ways", _all_ways), ("card", lambda screen: screen.choose("card")), ("enter", _principal_entered)],
    "submitting": [("held", _held)],
    "receipt": [("submitted", _submitted(False)), ("queued", _submitted(True)), ("printing", _printing)],
    "goodbye": [("kept", _kept("")), ("saved", _kept("K0001-7QX2M-000123"))],
}
# Screens that only make sense with a device or a platform answer in flight are still drawn in their entered state.


@pytest.fixture
def session(kiosk_app):
    from drivers.identity import CardType, Identity, Source
    from kiosk.journey import Target

    app = kiosk_app.app
    journey = app.services.journey
    target = Target.of_item(app.services.catalog.item("330199001400120000"))
    journey.choose(target)
    journey.identity_read(Identity(Source.ID_CARD, CardType.RESIDENT, "张伟", "110105199003071239"))
    for spec in target.form:
        journey.session.form[spec.key] = LONG_ADDRESS if "address" in spec.key else "讨要工资"
    yield journey
    journey.wipe()


@pytest.fixture(scope="module", autouse=True)
def _standard_after(kiosk_app):
    yield
    kiosk_app.app.core.set_elder_mode(False)
    kiosk_app.app.core.set_language("zh_CN")


def _screen_classes(app) -> list[tuple[str, type]]:
    app.add_screens()
    return [(screen.name, type(screen)) for screen in app.root.screens]


@pytest.mark.parametrize("variant", VARIANTS, ids=[v[0] for v in VARIANTS])
def test_every_screen_reads_whole_and_clear(kiosk_app, session, variant):
    from kivy.core.window import Window

    name, size, elder, language = variant
    app = kiosk_app.app
    if app.core.elder_mode != elder:
        app.core.set_elder_mode(elder)
    if app.core.language != language:
        app.core.set_language(language)
    kiosk_app.tick(2)
    out = os.environ.get("TONGBAN_LAYOUT_PNG")
    problems: list[str] = []
    classes = _screen_classes(app)
    assert len(classes) >= 15
    listeners = app.services.journey._wipe_listeners
    call = app.t("Call staff")
    for screen_name, cls in classes:
        registered = len(listeners)
        screen = cls(name=screen_name, size_hint=(None, None))  # its own name: the step indicator uses it
        Window.add_widget(screen)
        screen.size = size  # after: a size given to the constructor does not trigger the first layout
        try:
            screen.dispatch("on_pre_enter")  # what the ScreenManager does before showing it
            for state, prepare in [("", None), *STATES.get(screen_name, [])]:
                if prepare is not None:
                    prepare(screen)
                kiosk_app.tick(4)
                pixels = render_pixels(screen)
                label = f"{name}/{screen_name}" + (f"/{state}" if state else "")
                problems += [f"{label}: {p}" for p in check_screen(screen, pixels)]
                if not screen_name.startswith("staff_") and not any(
                        getattr(w, "text", None) == call and not w.disabled for w, _a in walk_visible(screen)):
                    problems.append(f"{label}: no {call!r}: a person must be one touch away on every screen")
                if out:
                    _save(pixels, Path(out) / (label.replace("/", "-") + ".png"))
        finally:
            Window.remove_widget(screen)
            del listeners[registered:]  # the probe's wipe hook: the probe can go (≈ 170 screens per run)
    assert problems == [], "\n".join(problems)


def _save(pixels, path: Path) -> None:
    from PIL import Image

    path.parent.mkdir(parents=True, exist_ok=True)
    Image.fromarray((pixels[::-1] * 255).astype("uint8")).save(path)


def test_the_check_sees_what_the_issue_showed(kiosk_app):
    """The check is not vacuous: a title shortened to "…", yellow on yellow, 删/除, a label pushed above the top of
    the screen, a card as dark as the page, a text under a scroll bar and a field being typed scrolled out of sight
    are each reported."""
    from kivy.core.window import Window
    from kivy.factory import Factory
    from kivy.graphics import Color, Rectangle
    from kivy.uix.behaviors import ButtonBehavior
    from kivy.uix.boxlayout import BoxLayout
    from kivy.uix.label import Label
    from kivy.uix.relativelayout import RelativeLayout
    from kivy.uix.scrollview import ScrollView
    from kivy.uix.widget import Widget

    class Card(ButtonBehavior, Widget):
        pass

    page = RelativeLayout(size_hint=(None, None))
    Window.add_widget(page)
    page.size = (1080, 1920)
    try:
        with page.canvas.before:
            Color(0, 0, 0, 1)
            Rectangle(size=(1080, 1920))
        fixed = {"size_hint": (None, None), "font_size": 40}
        title = Label(text="法律援助申请法律援助申请法律援助申请", shorten=True, text_size=(200, 60), size=(200, 60),
                      pos=(100, 1700), **fixed)
        faint = Label(text="不满意", color=(1, 0.83, 0, 1), size=(300, 80), pos=(100, 1500), **fixed)
        with faint.canvas.before:
            Color(1, 0.83, 0, 1)
            Rectangle(pos=faint.pos, size=faint.size)
        broken = Label(text="删除", text_size=(50, None), size=(50, 200), pos=(100, 1200), **fixed)
        pushed = Label(text="结束办理", size=(300, 100), pos=(100, 1880), **fixed)  # a column taller than the screen
        card = Card(size_hint=(None, None), size=(400, 200), pos=(100, 800))
        with card.canvas.before:
            Color(0x14 / 255, 0x14 / 255, 0x14 / 255, 1)
            Rectangle(pos=card.pos, size=card.size)
        # a scroll view whose text runs under its bar, and a field being typed scrolled out of sight
        scroll = ScrollView(size_hint=(None, None), size=(600, 300), pos=(450, 1200), bar_width=10, do_scroll_x=False)
        column = BoxLayout(orientation="vertical", size_hint_y=None, height=900)
        covered = Label(text="3个工作日", font_size=40, text_size=(600, None), halign="right")
        column.add_widget(covered)
        hidden = Factory.FormRow(label="现居住地址", value="北京市", focused=True)
        column.add_widget(hidden)
        scroll.add_widget(column)
        for widget in (title, faint, broken, pushed, card, scroll):
            page.add_widget(widget)
        kiosk_app.tick(3)
        scroll.scroll_y = 1  # the top in sight: the focused row (at the bottom) out of it
        kiosk_app.tick(3)
        kinds = {problem.kind for problem in check_screen(page)}
        assert {"shortened", "text-contrast", "break", "outside", "edge-contrast", "under-bar",
                "focus-hidden"} <= kinds, kinds
    finally:
        Window.remove_widget(page)
