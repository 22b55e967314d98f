"""Home: site name, date and time, "24小时自助服务", search entry, category tiles from configuration,
progress lookup, language and elder-mode switches, help."""

from __future__ import annotations

import datetime as dt

from kivy.app import App
from kivy.clock import Clock
from kivy.properties import BooleanProperty, NumericProperty, ObjectProperty, StringProperty
from kivy.uix.behaviors import ButtonBehavior
from kivy.uix.boxlayout import BoxLayout
from kivy.uix.screenmanager import Screen

from kiosk import clock
from kiosk.config.schema import HomeTile
from kiosk.i18n import N_

_WEEKDAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")


def date_text(now: dt.datetime, t) -> str:
    return t("{weekday}, {year}-{month:02d}-{day:02d}").format(
        weekday=t(_WEEKDAYS[now.weekday()]), year=now.year, month=now.month, day=now.day
    )


class TileButton(ButtonBehavior, BoxLayout):
    """A category tile: its label comes from configuration in both languages."""

    tile: HomeTile = ObjectProperty(None)
    text: str = StringProperty("")
    accent: str = StringProperty("#1E5AA8")


class HomeScreen(Screen):
    prompt = N_("Hello. Touch Search, or a service below, to begin. For help, touch Help.")
    clock_text: str = StringProperty("")
    date_text: str = StringProperty("")
    tile_columns: int = NumericProperty(2)
    landscape: bool = BooleanProperty(False)

    def __init__(self, **kwargs) -> None:
        super().__init__(**kwargs)
        self._clock_event = None
        app = App.get_running_app()
        app.bind(lang=self._relabel)
        self.bind(size=self._reflow)
        app.bind(theme=self._reflow)
        Clock.schedule_once(lambda _dt: self._build_tiles())
        Clock.schedule_once(lambda _dt: self.ids.tiles_scroll.bind(height=self._reflow))

    # -- content -----------------------------------------------------------------------
    def _build_tiles(self) -> None:
        app = App.get_running_app()
        grid = self.ids.tiles
        grid.clear_widgets()
        for tile in app.core.settings.home.tiles:
            grid.add_widget(TileButton(tile=tile, accent=tile.color, on_release=self.open_tile))
        self._relabel()
        self._reflow()

    def _relabel(self, *_args: object) -> None:
        app = App.get_running_app()
        for button in self.ids.tiles.children:
            button.text = getattr(button.tile.label, app.lang)
        self._update_clock()

    def _reflow(self, *_args: object) -> None:
        """Tiles share the room left under the search button, so every tile shows whole without scrolling (the
        list scrolls only when configuration gives more tiles than fit at a touch target's height each)."""
        self.landscape = self.width > self.height
        self.tile_columns = 4 if self.landscape else 2
        app = App.get_running_app()
        grid = self.ids.tiles
        count = len(grid.children)
        if not count:
            return
        rows = -(-count // self.tile_columns)
        room = self.ids.tiles_scroll.height - grid.spacing[1] * (rows - 1) - grid.padding[1] - grid.padding[3]
        height = max(app.theme.touch_target, min(room / rows, app.theme.px(260)))
        for tile in grid.children:
            tile.height = height

    # -- clock -----------------------------------------------------------------------------
    def on_pre_enter(self, *_args: object) -> None:
        self._update_clock()  # the time as the screen slides in, not the one it showed when it was left

    def on_enter(self, *_args: object) -> None:
        App.get_running_app().say(self.prompt)  # a terminal without a screen reader speaks for itself
        self._update_clock()
        self._clock_event = Clock.schedule_interval(self._update_clock, 1.0)

    def on_leave(self, *_args: object) -> None:
        App.get_running_app().notice = ""
        if self._clock_event is not None:
            self._clock_event.cancel()
            self._clock_event = None

    def _update_clock(self, *_args: object) -> None:
        app = App.get_running_app()
        now = clock.now()
        self.clock_text = now.strftime("%H:%M")
        self.date_text = date_text(now, app.core.t)

    # -- actions ----------------------------------------------------------------------------
    def open_search(self) -> None:
        App.get_running_app().navigate("search")

    def open_tile(self, button: TileButton) -> None:
        app = App.get_running_app()
        app.core.emit("home_tile", tile_kind=button.tile.kind, target=button.tile.target, key=button.tile.key)
        if button.tile.kind == "progress":
            app.navigate("progress")
            return
        app.screen("browse").show(button.tile.kind, button.tile.target, button.text)
        app.navigate("browse")

    def open_progress(self) -> None:
        App.get_running_app().navigate("progress")

    def open_help(self) -> None:
        App.get_running_app().navigate("help")

    def toggle_language(self) -> None:
        core = App.get_running_app().core
        core.set_language("en" if core.language == "zh_CN" else "zh_CN")

    def toggle_elder(self) -> None:
        core = App.get_running_app().core
        core.set_elder_mode(not core.elder_mode)
