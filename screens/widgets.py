"""Shared widget classes; their looks live in widgets.kv.

KButton / KGhostButton: large touch targets. TopBar: title, back, end-the-session and mute on every journey
screen. PinyinKeyboard / DigitPad: on-screen keyboards made for the kiosk (QWERTY letters for pinyin and
initials, digits for numbers). SignaturePad: a finger signature exported as PNG. CameraView: a device's live preview.
KioskScreen: the base of every screen (voice prompt on enter, wipe on session end).
"""

from __future__ import annotations

import io
import logging

from kivy.app import App
from kivy.clock import Clock
from kivy.graphics import Color, Line
from kivy.graphics.texture import Texture
from kivy.properties import BooleanProperty, ListProperty, NumericProperty, ObjectProperty, StringProperty
from kivy.uix.behaviors import ButtonBehavior
from kivy.uix.boxlayout import BoxLayout
from kivy.uix.gridlayout import GridLayout
from kivy.uix.image import Image
from kivy.uix.label import Label
from kivy.uix.recycleview import RecycleView
from kivy.uix.recycleview.views import RecycleDataViewBehavior
from kivy.uix.screenmanager import Screen
from kivy.uix.scrollview import ScrollView
from kivy.uix.widget import Widget

from kiosk.i18n import N_
from screens import linebreak

log = logging.getLogger(__name__)


def _bind_bar_colour_once() -> None:
    """Kivy 2.3's ``ScrollView.update_from_scroll`` binds ``bar_color`` again on every call (each frame a layout
    or scroll changes) but unbinds it once, 0.5 s after the first: every burst leaves bindings behind. The
    kiosk's screens and their scroll views live as long as the app, so they grew by about a dozen bindings per
    resident journey, without end (found by the UI soak). Unbinding before Kivy binds keeps exactly one."""
    original = ScrollView.update_from_scroll
    if getattr(original, "binds_bar_colour_once", False):
        return

    def update_from_scroll(self, *largs):
        self.funbind("bar_color", self._change_bar_color)
        return original(self, *largs)

    update_from_scroll.binds_bar_colour_once = True  # type: ignore[attr-defined]
    ScrollView.update_from_scroll = update_from_scroll


_bind_bar_colour_once()
linebreak.install()  # Chinese lines by the 避头尾 rules, words whole


class KButton(ButtonBehavior, Label):
    """A large touch target with visible press feedback; ``bg``/``fg`` name palette colours."""

    bg: str = StringProperty("primary")
    fg: str = StringProperty("on_primary")


class KGhostButton(ButtonBehavior, Label):
    """A secondary action: outlined, surface-coloured."""


class TopBar(BoxLayout):
    """Back, where the resident is (第3步/共6步), mute and "end" (cancel anywhere) in one row; the title whole on its
    own row beneath. ``step`` is set by the screen (``journey_step``); 0 shows no step."""

    title: str = StringProperty("")
    show_back: bool = BooleanProperty(True)
    show_cancel: bool = BooleanProperty(True)
    step: int = NumericProperty(0)
    steps: int = NumericProperty(0)
    step_text: str = StringProperty("")
    compact: bool = BooleanProperty(False)  # title and step inside the actions row (set by the .kv from the room)
    show_call: bool = BooleanProperty(True)  # 呼叫工作人员
    call_inline: bool = BooleanProperty(True)  # the call button fits in the actions row (set by the .kv)
    tight: bool = BooleanProperty(False)  # the actions at their design widths leave no room (set by the .kv)

    @staticmethod
    def fitted(text: str, font_size: float, design: float, least: float, padding: float) -> float:
        """An action's width: ``design``, or in a tight bar (elder landscape beside a keyboard) as narrow as its
        words allow (never under ``least``, a touch target), so 结束办理 stays inside the bar's column."""
        from kivy.core.text import Label as CoreLabel

        needed = CoreLabel(text=text, font_size=font_size).get_extents(text)[0] + padding
        return min(design, max(least, needed))

    def on_call_inline(self, *_args: object) -> None:
        if "call_staff" not in self.ids:  # the rule is still being applied
            return
        button, actions, below = self.ids.call_staff, self.ids.actions, self.ids.below
        target = actions if self.call_inline else below
        if button.parent == target:  # ids are weak proxies: compare by equality, not identity
            return
        button.parent.remove_widget(button)
        # actions: 返回 · title · [呼叫工作人员] · 静音 · 结束办理 (Kivy counts the index from the last child)
        target.add_widget(button, index=2 if self.call_inline else 0)

    def on_step(self, *_args: object) -> None:
        self._relabel()

    def on_steps(self, *_args: object) -> None:
        self._relabel()

    def _relabel(self, *_args: object) -> None:
        app = App.get_running_app()
        if app is not None:  # a bar built outside the app (a tool, a test) has no language to follow
            self.step_text = app.t("Step {n} of {total}").format(n=self.step, total=self.steps) if self.step else ""

    def __init__(self, **kwargs) -> None:
        super().__init__(**kwargs)
        app = App.get_running_app()
        if app is not None:
            app.bind(lang=self._relabel)


# The application's steps as the resident counts them (第3步/共6步); submitting is still the confirm step.
JOURNEY_STEPS = ("identify", "face", "materials", "form", "confirm", "receipt")
_STEP_ALIASES = {"submitting": "confirm", "principal": "face"}  # 代办: the principal is part of proving who


def journey_step(screen_name: str) -> tuple[int, int]:
    """(step, total) of a screen in the application journey; (0, total) for screens outside it."""
    name = _STEP_ALIASES.get(screen_name, screen_name)
    return (JOURNEY_STEPS.index(name) + 1 if name in JOURNEY_STEPS else 0), len(JOURNEY_STEPS)


class KioskScreen(Screen):
    """Base of every screen. ``prompt`` is the msgid spoken on entering; ``wipe()`` clears personal data."""

    prompt: str = StringProperty("")
    landscape: bool = BooleanProperty(False)

    def __init__(self, **kwargs) -> None:
        super().__init__(**kwargs)
        self.bind(size=lambda *_a: setattr(self, "landscape", self.width > self.height))
        self.bind(on_pre_enter=self._show_step)
        app = App.get_running_app()
        if app is not None and getattr(app, "services", None) is not None:
            app.services.journey.on_wipe(self.wipe)

    @property
    def app(self):
        return App.get_running_app()

    @property
    def journey(self):
        return self.app.services.journey

    def _show_step(self, *_args: object) -> None:
        bar = self.ids.get("bar")
        if isinstance(bar, TopBar):
            bar.step, bar.steps = journey_step(self.name)

    def on_enter(self, *_args: object) -> None:
        self.app.services.journey.visit(self.name)
        if self.prompt:
            self.app.say(self.prompt)

    def wipe(self) -> None:
        """Screens holding personal data override this."""


class VisibleOnlyBox(BoxLayout):
    """A BoxLayout whose hidden children (opacity 0 or no height) get no touches. Screens hide the keyboards
    they are not using by height and opacity, but a hidden keyboard's keys keep their size and Kivy's disabled
    widgets swallow every touch that lands on them: the visible keyboard's keys would go dead underneath."""

    def on_touch_down(self, touch) -> bool:
        if self.disabled or not self.collide_point(*touch.pos):
            return False
        for child in self.children[:]:
            if child.opacity > 0 and child.height > 0 and child.dispatch("on_touch_down", touch):
                return True
        return False


class KeyBase(GridLayout):
    """An on-screen keyboard: ``on_key(key)`` with a character, "backspace" or "clear"."""

    __events__ = ("on_key",)

    def press(self, key: str) -> None:
        self.dispatch("on_key", key)

    def on_key(self, key: str) -> None:
        pass


class KeyButton(KButton):
    key: str = StringProperty("")


def key_label(key: str) -> str:
    """Letters upper case (as printed on keyboards); the two editing keys in words, since the CJK font has no ⌫."""
    app = App.get_running_app()
    words = {"backspace": N_("Delete"), "clear": N_("Clear")}
    return app.core.t(words[key]) if key in words else key.upper()


class PinyinKeyboard(BoxLayout):
    """Letters in the QWERTY rows phones taught people (pinyin, search initials), the middle row offset by half
    a key, 删除 at the end of the last row; each key at least a touch target high. ``on_key(key)`` with a
    letter or "backspace"."""

    __events__ = ("on_key",)
    ROWS = ("qwertyuiop", "asdfghjkl", "zxcvbnm")
    key_height: float = NumericProperty(0)  # each row's height; widgets.kv makes it a touch target
    backspace: bool = BooleanProperty(True)  # False inside the ChineseKeyboard, whose one 删除 serves every mode

    def __init__(self, **kwargs) -> None:
        super().__init__(**kwargs)
        Clock.schedule_once(lambda _dt: self._build())

    def _build(self) -> None:
        from kivy.factory import Factory

        self.clear_widgets()
        for number, letters in enumerate(self.ROWS):
            row = Factory.KeyRow(height=self.key_height)
            self.bind(key_height=row.setter("height"))
            # every key as wide as a top-row key: the shorter rows centred by half-key margins
            margin = 0.5 if number == 1 else (1.5 if number == 2 and not self.backspace else 0)
            if margin:
                row.add_widget(Widget(size_hint_x=margin))
            for key in letters:
                row.add_widget(KeyButton(key=key, text=key_label(key), size_hint_y=1,
                                         on_release=lambda b: self.press(b.key)))  # fmt: skip
            if margin:
                row.add_widget(Widget(size_hint_x=margin))
            if number == 2 and self.backspace:
                row.add_widget(KeyButton(key="backspace", text=key_label("backspace"), size_hint_x=3, size_hint_y=1,
                                         on_release=lambda b: self.press(b.key)))  # fmt: skip
            self.add_widget(row)

    def keys(self) -> dict[str, KeyButton]:
        """Each key by what it types ("a"…"z", "backspace")."""
        return {k.key: k for row in self.children for k in row.children if isinstance(k, KeyButton)}

    def press(self, key: str) -> None:
        self.dispatch("on_key", key)

    def on_key(self, key: str) -> None:
        pass


class DigitPad(KeyBase):
    """Digits in the telephone layout, an optional extra key (X for ID numbers, "-" for dates), backspace, clear."""

    extra: str = StringProperty("")
    editing: bool = BooleanProperty(True)  # False: digits only (the ChineseKeyboard has its own 删除 and 清空)

    def __init__(self, **kwargs) -> None:
        super().__init__(**kwargs)
        Clock.schedule_once(lambda _dt: self._build())

    def on_extra(self, *_args: object) -> None:
        self._build()

    def _build(self) -> None:
        self.clear_widgets()
        keys = [*"123456789", self.extra or "clear", "0", "backspace"] if self.editing else [*"1234567890"]
        for key in keys:
            self.add_widget(KeyButton(key=key, text=key_label(key), on_release=lambda b: self.press(b.key)))


class ResultRow(RecycleDataViewBehavior, ButtonBehavior, BoxLayout):
    """One row of a RecycleView list (search results, items of a department or life event)."""

    text: str = StringProperty("")
    detail: str = StringProperty("")
    badge: str = StringProperty("")
    key: str = StringProperty("")
    kind: str = StringProperty("item")
    owner = ObjectProperty(None, allownone=True)

    def refresh_view_attrs(self, rv, index, data):
        self.owner = rv
        return super().refresh_view_attrs(rv, index, data)

    def on_release(self) -> None:
        if self.owner is not None and hasattr(self.owner, "chosen"):
            self.owner.chosen(self.kind, self.key)


class ResultList(RecycleView):
    """A RecycleView whose rows report ``on_choose(kind, key)``."""

    __events__ = ("on_choose",)

    def chosen(self, kind: str, key: str) -> None:
        self.dispatch("on_choose", kind, key)

    def on_choose(self, kind: str, key: str) -> None:
        pass


class SignaturePad(Widget):
    """A finger signature: strokes drawn as lines, exported as PNG (PIL, so it works headless)."""

    strokes = ListProperty([])
    empty: bool = BooleanProperty(True)

    def on_touch_down(self, touch) -> bool:
        if not self.collide_point(*touch.pos):
            return False
        touch.grab(self)
        with self.canvas.after:  # the ink over the hint (a child, drawn in ``canvas``); clear() wipes only the ink
            Color(*App.get_running_app().theme.color("text"))
            touch.ud["line"] = Line(points=[*touch.pos], width=max(2.0, App.get_running_app().theme.px(4)))
        self.strokes.append([(touch.x - self.x, touch.y - self.y)])
        self.empty = False
        return True

    def on_touch_move(self, touch) -> bool:
        if touch.grab_current is not self or "line" not in touch.ud:
            return False
        if self.collide_point(*touch.pos):
            touch.ud["line"].points += [touch.x, touch.y]
            self.strokes[-1].append((touch.x - self.x, touch.y - self.y))
        return True

    def on_touch_up(self, touch) -> bool:
        if touch.grab_current is self:
            touch.ungrab(self)
            return True
        return False

    def clear(self) -> None:
        self.canvas.after.clear()
        self.strokes = []
        self.empty = True

    def export_png(self) -> bytes:
        from PIL import Image as PILImage
        from PIL import ImageDraw

        width, height = max(1, int(self.width)), max(1, int(self.height))
        picture = PILImage.new("L", (width, height), 255)
        draw = ImageDraw.Draw(picture)
        for stroke in self.strokes:
            points = [(x, height - y) for x, y in stroke]
            if len(points) == 1:
                points = points * 2
            draw.line(points, fill=0, width=4)
        out = io.BytesIO()
        picture.save(out, "PNG")
        return out.getvalue()


class CameraView(Image):
    """A device's live preview (``latest_frame()`` never blocks), refreshed at ``fps`` while shown."""

    device = ObjectProperty(None, allownone=True)
    live: bool = BooleanProperty(False)

    def __init__(self, **kwargs) -> None:
        super().__init__(**kwargs)
        self._event = None
        self._seq = -1
        self.fit_mode = "contain"

    def on_live(self, _instance, live: bool) -> None:
        if live and self._event is None:
            self._event = Clock.schedule_interval(self._refresh, 1 / 12)
        elif not live and self._event is not None:
            self._event.cancel()
            self._event = None

    def _refresh(self, _dt: float) -> None:
        frame = self.device.latest_frame() if self.device is not None else None
        if frame is None or frame.seq == self._seq:
            return
        self._seq = frame.seq
        self.show_array(frame.image)

    def show_array(self, image) -> None:
        """Show a BGR numpy image (OpenCV order), flipped for Kivy's bottom-up textures."""
        height, width = image.shape[:2]
        texture = self.texture
        if texture is None or texture.size != (width, height):
            texture = Texture.create(size=(width, height), colorfmt="bgr")
            texture.flip_vertical()
        texture.blit_buffer(image.tobytes(), colorfmt="bgr", bufferfmt="ubyte")
        self.texture = texture
        self.canvas.ask_update()

    def show_jpeg(self, data: bytes) -> None:
        import cv2
        import numpy as np

        image = cv2.imdecode(np.frombuffer(data, np.uint8), cv2.IMREAD_COLOR)
        if image is not None:
            self.show_array(image)

    def blank(self) -> None:
        """Drop the picture (a wipe: no face or page stays in a texture)."""
        self.live = False
        self.texture = None
        self._seq = -1


class GuideLine(Label):
    muted: bool = BooleanProperty(False)


class MaterialRow(BoxLayout):
    code: str = StringProperty("")
    name: str = StringProperty("")
    state_text: str = StringProperty("")
    done: bool = BooleanProperty(False)
    counter: bool = BooleanProperty(False)


class FormRow(ButtonBehavior, BoxLayout):
    key: str = StringProperty("")
    label: str = StringProperty("")
    value: str = StringProperty("")
    hint: str = StringProperty("")
    error: str = StringProperty("")
    focused: bool = BooleanProperty(False)


class SummaryRow(BoxLayout):
    """A label–value row (confirm screen, receipt on screen); ``editable`` rows show 修改 (``on_edit``)."""

    __events__ = ("on_edit",)

    label: str = StringProperty("")
    value: str = StringProperty("")
    editable: bool = BooleanProperty(False)
    kind: str = StringProperty("")
    key: str = StringProperty("")

    def on_edit(self) -> None:
        pass


class TimelineRow(BoxLayout):
    when: str = StringProperty("")
    what: str = StringProperty("")
    note: str = StringProperty("")
    future: bool = BooleanProperty(False)  # not happened yet (the promised date): a hollow marker, 预计 in words


def personal_strings_left(app, needles: list[str]) -> list[str]:
    """Where any of ``needles`` (a resident's name, ID number, phone) still appears: every widget of every screen
    and of the window (dialogs), every string, list or dict property, and the journey's session."""
    from kivy.core.window import Window

    def walk(widget):
        yield widget
        for child in widget.children:
            yield from walk(child)

    found = []
    for root in [*app.root.screens, *Window.children]:
        for widget in walk(root):
            for name in widget.properties():
                value = getattr(widget, name, None)
                text = value if isinstance(value, str) else (repr(value) if isinstance(value, list | dict) else "")
                if any(needle in text for needle in needles):
                    found.append(f"{type(widget).__name__}.{name}")
    session_text = repr(vars(app.services.journey.session))
    found += [f"session: {needle[:1]}…" for needle in needles if needle in session_text]
    return found
