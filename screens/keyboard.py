"""The Chinese keyboard: handwriting (zinnia), pinyin on a QWERTY layout (librime), plain letters (search by
initials) and digits, with one candidate bar of six large candidates and paging, one 删除 and one 清空 for every
mode. Engines live in kiosk.ime; this file is only the touch side.

ChineseKeyboard events: ``on_commit(text)`` (append to the field), ``on_delete()`` (remove the field's last
character), ``on_clear()`` (empty the field). The form, the 好差评 comment and the search screen use it, each
with the modes it offers (``modes``)."""

from __future__ import annotations

import logging
from collections.abc import Sequence

from kivy.app import App
from kivy.clock import Clock
from kivy.graphics import Color, Line
from kivy.properties import BooleanProperty, ListProperty, NumericProperty, OptionProperty, StringProperty
from kivy.uix.widget import Widget

from kiosk.ime import ImeUnavailable
from kiosk.ime.handwriting import CANVAS, recognizer
from kiosk.ime.pinyin import PinyinComposer, RimeEngine, cache_dir
from screens.widgets import VisibleOnlyBox

log = logging.getLogger(__name__)

PAGE_SIZE = 6  # UX.md: a candidate bar holds at least six large candidates
HANDWRITING_GUESSES = 18  # three pages


def pinyin_engine() -> RimeEngine:
    """The process's Rime, its cache under the running kiosk's data folder."""
    return RimeEngine.shared(cache_dir(App.get_running_app().core.data_dir))


def prepare_engines() -> None:
    """Start Rime's deployment in the background (called after the first frame is drawn)."""
    pinyin_engine().start()


class HandwritingPad(Widget):
    """A square writing box with a 田字格 guide: each finished stroke is reported as ``on_strokes(strokes)``,
    all strokes so far on the 0–1000 canvas (origin top left, kiosk.ime.handwriting)."""

    __events__ = ("on_strokes",)
    stroke_count: int = NumericProperty(0)

    def __init__(self, **kwargs) -> None:
        super().__init__(**kwargs)
        self._strokes: list[list[tuple[int, int]]] = []
        self._ink: list[Line] = []

    def _canvas_point(self, x: float, y: float) -> tuple[int, int]:
        side = max(1.0, min(self.width, self.height))
        left = self.x + (self.width - side) / 2
        top = self.y + (self.height + side) / 2
        cx = round((x - left) / side * CANVAS)
        cy = round((top - y) / side * CANVAS)
        return min(CANVAS, max(0, cx)), min(CANVAS, max(0, cy))

    def on_touch_down(self, touch) -> bool:
        if not self.collide_point(*touch.pos) or self.disabled:
            return False
        touch.grab(self)
        app = App.get_running_app()
        with self.canvas:
            Color(*app.theme.color("text"))
            line = Line(points=[*touch.pos], width=max(2.0, app.theme.px(6)), cap="round", joint="round")
        self._ink.append(line)
        touch.ud["hw_line"] = line
        self._strokes.append([self._canvas_point(*touch.pos)])
        return True

    def on_touch_move(self, touch) -> bool:
        if touch.grab_current is not self or "hw_line" not in touch.ud:
            return False
        touch.ud["hw_line"].points += [touch.x, touch.y]
        self._strokes[-1].append(self._canvas_point(*touch.pos))
        return True

    def on_touch_up(self, touch) -> bool:
        if touch.grab_current is not self:
            return False
        touch.ungrab(self)
        self.stroke_count = len(self._strokes)
        self.dispatch("on_strokes", [list(s) for s in self._strokes])
        return True

    def draw(self, strokes: Sequence[Sequence[tuple[int, int]]]) -> None:
        """Strokes given on the 0–1000 canvas, as if drawn by a finger (tests, the demo)."""
        side = max(1.0, min(self.width, self.height))
        left = self.x + (self.width - side) / 2
        top = self.y + (self.height + side) / 2
        for stroke in strokes:
            points = [(left + x / CANVAS * side, top - y / CANVAS * side) for x, y in stroke]
            app = App.get_running_app()
            with self.canvas:
                Color(*app.theme.color("text"))
                self._ink.append(Line(points=[v for p in points for v in p], width=max(2.0, app.theme.px(6))))
            self._strokes.append([(int(x), int(y)) for x, y in stroke])
        self.stroke_count = len(self._strokes)
        self.dispatch("on_strokes", [list(s) for s in self._strokes])

    def clear(self) -> None:
        for line in self._ink:
            self.canvas.remove(line)
        self.canvas.clear()
        self._ink = []
        self._strokes = []
        self.stroke_count = 0

    def on_strokes(self, strokes: list) -> None:
        pass


class ChineseKeyboard(VisibleOnlyBox):
    mode: str = OptionProperty("pinyin", options=("handwriting", "pinyin", "letters", "digits"))
    modes = ListProperty(["handwriting", "pinyin", "digits"])  # the mode keys offered
    preedit: str = StringProperty("")  # pinyin being composed ("bei jing", "中国 ren")
    cands = ListProperty([])  # the page of candidates shown
    page: int = NumericProperty(0)
    has_more: bool = BooleanProperty(False)
    message: str = StringProperty("")  # a msgid when an engine is unavailable
    composing: bool = BooleanProperty(False)
    landscape: bool = BooleanProperty(False)  # lower keys, so the keyboard fits beside the form
    natural_key_height: float = NumericProperty(0)  # a touch target (set by the .kv: 70 % in elder mode)
    room: float = NumericProperty(0)  # the height the host leaves it (0: as tall as it needs)
    key_height: float = NumericProperty(0)  # the natural height, lowered as far as ``room`` needs

    __events__ = ("on_commit", "on_delete", "on_clear")

    def __init__(self, **kwargs) -> None:
        super().__init__(**kwargs)
        self._composer: PinyinComposer | None = None
        self._guesses: list[str] = []
        self._fitting = Clock.create_trigger(self._fit)
        self.bind(natural_key_height=self._fitting, room=self._fitting, minimum_height=self._fitting)

    def _fit(self, *_args: object) -> None:
        """Keys as high as ``room`` allows (never above the natural height, never under half of it): elder
        landscape's pinyin keyboard, taller than the column beside the form, ran into the top bar (a key over
        结束办理). The height is linear in the key height, so scaling by room / height settles in a few frames."""
        natural, height = self.natural_key_height, self.minimum_height
        wanted = natural if self.room <= 0 or height <= 0 or not self.key_height else min(
            natural, max(natural / 2, self.key_height * self.room / height))  # fmt: skip
        if abs(wanted - self.key_height) > 0.5:
            self.key_height = wanted

    # -- modes and reset -----------------------------------------------------------------------------
    def set_mode(self, mode: str) -> None:
        if mode != self.mode:
            self.reset()
            self.mode = mode

    def reset(self) -> None:
        """Forget any composition, strokes and candidates (a new field, a new resident)."""
        if self._composer is not None:
            self._composer.clear()
        self._guesses = []
        pad = self.ids.get("pad")
        if pad is not None:
            pad.clear()
        self.message = ""
        self._show(0)

    def close(self) -> None:
        """Release the Rime session (a resident's session ended)."""
        self.reset()
        if self._composer is not None:
            self._composer.close()
            self._composer = None

    def keys(self) -> dict:
        """The QWERTY keys by letter (pinyin and letters modes)."""
        return self.ids.qwerty.keys()

    # -- pinyin and letters --------------------------------------------------------------------------
    def _pinyin(self) -> PinyinComposer | None:
        if self._composer is None:
            try:
                engine = pinyin_engine()
                engine.wait(timeout=10)
                self._composer = engine.composer()
            except ImeUnavailable as exc:
                log.error("pinyin unavailable: %s", exc)
                self.message = "Pinyin input is not available right now. Please write by hand."
                return None
        return self._composer

    def on_letter(self, key: str) -> None:
        if key == "backspace":
            self.backspace()
            return
        if self.mode == "letters":  # search initials: the letter itself
            self.dispatch("on_commit", key)
            return
        composer = self._pinyin()
        if composer is None:
            return
        composer.type(key)
        self._show(0)

    def backspace(self) -> None:
        if self.mode == "pinyin" and self._composer is not None and self._composer.raw:
            self._composer.backspace()
            self._show(0)
        elif self.mode == "handwriting" and self._guesses:
            self.reset()
        else:
            self.dispatch("on_delete")

    def clear(self) -> None:
        self.reset()
        self.dispatch("on_clear")

    def on_digit(self, key: str) -> None:
        self.dispatch("on_commit", key)  # the pad has digits only: 删除 and 清空 are the top row's

    # -- handwriting ---------------------------------------------------------------------------------
    def on_pad_strokes(self, strokes: list) -> None:
        try:
            guesses = recognizer().recognize(strokes, HANDWRITING_GUESSES)
        except ImeUnavailable as exc:
            log.error("handwriting unavailable: %s", exc)
            self.message = "Handwriting is not available right now. Please use pinyin."
            return
        self._guesses = [g.text for g in guesses]
        self._show(0)

    # -- candidates ----------------------------------------------------------------------------------
    def _show(self, page: int) -> None:
        if self.mode == "pinyin" and self._composer is not None:
            shown = self._composer.page(page, PAGE_SIZE)
            self.cands, self.has_more = list(shown.candidates), shown.has_more
            self.preedit = self._composer.preedit
            self.composing = bool(self._composer.raw)
        else:
            self.cands = self._guesses[page * PAGE_SIZE:(page + 1) * PAGE_SIZE]
            self.has_more = len(self._guesses) > (page + 1) * PAGE_SIZE
            self.preedit = ""
            self.composing = bool(self._guesses)
        self.page = page

    def next_page(self) -> None:
        if self.has_more:
            self._show(self.page + 1)

    def previous_page(self) -> None:
        if self.page > 0:
            self._show(self.page - 1)

    def pick(self, slot: int) -> None:
        """The resident touched candidate ``slot`` of the page shown."""
        if slot >= len(self.cands):
            return
        index = self.page * PAGE_SIZE + slot
        if self.mode == "pinyin" and self._composer is not None:
            committed = self._composer.pick(index)
            if committed:
                self.dispatch("on_commit", committed)
            self._show(0)
        else:
            text = self.cands[slot]
            self.reset()
            self.dispatch("on_commit", text)

    def on_commit(self, text: str) -> None:
        pass

    def on_delete(self) -> None:
        pass

    def on_clear(self) -> None:
        pass

