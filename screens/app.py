"""The Kivy application: one ScreenManager over the kiosk core, theme, CJK font, lockdown, idle hook."""

from __future__ import annotations

import logging
import threading
from pathlib import Path

from kivy.app import App
from kivy.clock import Clock
from kivy.core.text import DEFAULT_FONT, LabelBase
from kivy.core.window import Window
from kivy.lang import Builder
from kivy.properties import BooleanProperty, ObjectProperty, StringProperty
from kivy.uix.screenmanager import FadeTransition, ScreenManager

from kiosk import watchdog
from kiosk.core import Kiosk
from kiosk.fonts import find_cjk_font
from kiosk.idle import IdlePhase
from screens.theme import Theme

log = logging.getLogger(__name__)

_KV_DIR = Path(__file__).parent
_ESCAPE = 27
_loaded_kv: set[str] = set()


def load_kv(name: str) -> None:
    """Load ``screens/<name>.kv`` once per process."""
    if name not in _loaded_kv:
        Builder.load_file(str(_KV_DIR / f"{name}.kv"))
        _loaded_kv.add(name)


def register_cjk_font() -> Path:
    """Make the CJK font Kivy's default, so every Label can show Chinese."""
    path = find_cjk_font()
    LabelBase.register(DEFAULT_FONT, str(path))
    return path


class TongbanApp(App):
    theme: Theme = ObjectProperty(None, rebind=True)  # rebind: KV chains like app.theme.px(…) re-evaluate
    lang: str = StringProperty("zh_CN")
    elder: bool = BooleanProperty(False)
    font_path: str = StringProperty("")

    def __init__(self, core: Kiosk, **kwargs) -> None:
        super().__init__(**kwargs)
        self.core = core
        self.title = "通办 Tongban"
        self.lang = core.language
        self.elder = core.elder_mode
        self.theme = Theme.make(Window.size, self.elder, core.settings.elder.scale)
        self._watchdog = watchdog.WatchdogFeeder()
        core.subscribe(self._on_core_event)
        self.exit_status = 0  # `kiosk run` exits with it (the staff menu's restart and exit set it)
        from screens.staff_desk import StaffDesk  # staff menu (issue 10)

        self.staff_desk = StaffDesk(self)

    def t(self, message: str, *_bindings: object) -> str:
        """Translate; KV passes ``app.lang`` as an extra argument so the text rebinds on a language switch."""
        return self.core.t(message)

    def build(self) -> ScreenManager:
        self.font_path = str(register_cjk_font())
        import screens.widgets  # noqa: F401  (registers the widget classes widgets.kv styles)

        load_kv("widgets")
        load_kv("home")
        from screens.home import HomeScreen  # after the KV rules it uses are loaded

        manager = ScreenManager(transition=FadeTransition(duration=0.15))
        manager.add_widget(HomeScreen(name="home"))
        self.staff_desk.install(manager)  # staff menu (issue 10): its screens, gesture, supervisor clock, heartbeat
        Window.bind(on_request_close=self._refuse_close, on_keyboard=self._on_keyboard)
        Window.bind(on_touch_down=self._on_activity)
        Clock.schedule_interval(self._tick_idle, 1.0)
        Clock.schedule_interval(lambda _dt: self._watchdog.tick(), 1.0)
        return manager

    def on_start(self) -> None:
        # Two hops: the first callback runs in frame 1's tick, the second after frame 1 was drawn.
        Clock.schedule_once(lambda _dt: Clock.schedule_once(self._first_frame_drawn, 0), 0)

    def _first_frame_drawn(self, _dt: float) -> None:
        """Tell systemd (Type=notify) the kiosk is up; the start-up bench listens for the same message."""
        watchdog.ready("home screen shown")

    def on_stop(self) -> None:
        watchdog.stopping()
        self.staff_desk.close()  # staff menu (issue 10): heartbeat thread, listeners
        self.core.close()

    # -- lockdown: a resident cannot leave the kiosk app -----------------------------------
    def _refuse_close(self, *_args: object, **_kwargs: object) -> bool:
        log.info("window close refused (kiosk lockdown)")
        return True

    def _on_keyboard(self, _window: object, key: int, *_args: object) -> bool:
        return key == _ESCAPE  # swallow Escape; other keys go on to widgets

    # -- idle ------------------------------------------------------------------------------
    def _on_activity(self, *_args: object) -> bool:
        self.core.idle.activity()
        return False

    def _tick_idle(self, _dt: float) -> None:
        if self.root is None or self.root.current == "home":
            self.core.idle.activity()  # the home screen holds no session: nothing to time out
            return
        state = self.core.idle.state()
        if state.phase is IdlePhase.EXPIRED:
            self.go_home()

    def go_home(self) -> None:
        self.navigate("home")

    def navigate(self, screen: str) -> bool:
        """Show ``screen`` if this build has it; False (and a log line) otherwise."""
        if self.root is None or not self.root.has_screen(screen):
            log.warning("no screen named %s in this build", screen)
            return False
        self.root.current = screen
        return True

    # -- core events -------------------------------------------------------------------------
    def _on_core_event(self, kind: str, payload: dict) -> None:
        """Core events may come from device or delivery threads: widgets change only on the UI thread."""
        if threading.current_thread() is not threading.main_thread():
            Clock.schedule_once(lambda _dt: self._on_core_event(kind, payload))
            return
        if kind == "language":
            self.lang = payload["language"]
        elif kind == "elder_mode":
            self.elder = payload["on"]
            self.theme = Theme.make(Window.size, self.elder, self.core.settings.elder.scale)
