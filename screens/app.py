"""The Kivy application: one ScreenManager over the kiosk core, theme, CJK font, lockdown, idle hook."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from kivy.app import App
from kivy.clock import Clock
from kivy.core.text import DEFAULT_FONT, LabelBase
from kivy.core.window import Window
from kivy.lang import Builder
from kivy.properties import BooleanProperty, ObjectProperty, StringProperty
from kivy.uix.screenmanager import FadeTransition, ScreenManager

from drivers.contract import Command, Completion
from kiosk import watchdog
from kiosk.core import Kiosk
from kiosk.fonts import cjk_font_candidates
from kiosk.i18n import N_, Message
from kiosk.idle import IdlePhase
from kiosk.journey import EndReason
from kiosk.services import ResidentDesk
from screens.theme import Theme

if TYPE_CHECKING:
    from kiosk.hardware import Hardware

log = logging.getLogger(__name__)

_KV_DIR = Path(__file__).parent
_ESCAPE = 27
_loaded_kv: set[str] = set()

# (screen name, module) in journey order; each module has a ``<Name>Screen`` class and a .kv of the same name.
SCREENS = (
    "home", "search", "browse", "guide", "help", "progress", "identify", "face", "principal", "materials", "form",
    "confirm", "submitting", "receipt", "evaluate", "goodbye",
)


def load_kv(name: str) -> None:
    """Load ``screens/<name>.kv`` once per process."""
    if name not in _loaded_kv:
        Builder.load_file(str(_KV_DIR / f"{name}.kv"))
        _loaded_kv.add(name)


def register_cjk_font(fault: Callable[[str, str], object] = lambda _code, _detail: None) -> Path | None:
    """Make the first CJK font that renders Kivy's default, so every Label can show Chinese. A missing, corrupt
    or truncated file is skipped (``fault`` reports it: code ``font_fallback``); None when no font renders."""
    from kivy.core.text import Label as CoreLabel

    skipped = []
    for path in cjk_font_candidates():
        try:
            CoreLabel(text="通办", font_name=str(path), font_size=24).refresh()  # SDL_ttf opens the file
        except Exception as error:  # "Couldn't load font file" and kin: try the next font
            skipped.append(f"{path}: {error}")
            continue
        LabelBase.register(DEFAULT_FONT, str(path))
        if skipped:
            fault("font_fallback", "; ".join(skipped) + f"; using {path}")
        return path
    return None


class TongbanApp(App):
    theme: Theme = ObjectProperty(None, rebind=True)  # rebind: KV chains like app.theme.px(…) re-evaluate
    lang: str = StringProperty("zh_CN")
    elder: bool = BooleanProperty(False)
    font_path: str = StringProperty("")
    muted: bool = BooleanProperty(False)
    notice: str = StringProperty("")  # a message shown on the home screen after a session ended

    def __init__(self, core: Kiosk, services: ResidentDesk | None = None, **kwargs: object) -> None:
        super().__init__(**kwargs)
        self.core = core
        self.services = services or ResidentDesk(core)
        core.journey.dispatch = self.on_ui_thread  # device events and completions reach the journey here
        self._history: list[str] = []
        self._idle_dialog = None
        self._card_dialog = None
        self._staff_call_dialog = None
        self.title = "通办 Tongban"
        self.lang = core.language
        self.elder = core.elder_mode
        self.theme = Theme.make(Window.size, self.elder, core.settings.elder.scale)
        self._watchdog = watchdog.WatchdogFeeder()
        core.subscribe(self._on_core_event)
        self.exit_status = 0  # `kiosk run` exits with it (the staff menu's restart and exit set it)
        self.hardware_after_first_frame = False  # kiosk run: the core's hardware starts once the home screen shows
        from screens.staff_desk import StaffDesk  # staff menu (issue 10)

        # Safe mode decided before the app (an unusable data folder, a refused site file) has no staff desk: its
        # lockout state could not even be read, and no resident or staff screen is built.
        self.staff_desk = StaffDesk(self) if core.health.in_service else None
        from screens.safe_mode import SafeMode  # the out-of-service screen instead of a restart loop (issue 17)

        self.safe_mode = SafeMode(self)
        # out of service: a fleet bundle or an edited site file starts the kiosk again on the new configuration
        core.config_changed.connect(lambda _config: self.on_ui_thread(self.safe_mode.config_changed))

    def t(self, message: str | Message, *_bindings: object) -> str:
        """Translate; KV passes ``app.lang`` as an extra argument so the text rebinds on a language switch."""
        return self.core.t(message)

    @staticmethod
    def on_ui_thread(work: Callable[[], object]) -> None:
        """The one way work from a device, delivery or fleet thread reaches widgets and the journey: run it on the
        UI thread (at once when already there, else on the next frame)."""
        if threading.current_thread() is threading.main_thread():
            work()
        else:
            Clock.schedule_once(lambda _dt: work())

    def when_done(self, command: Command, handler: Callable[[Completion], object]) -> None:
        """A device command's completion, handed to ``handler`` on the UI thread (the staff menu's own device tests;
        resident screens go through the journey, which uses the same helper as its ``dispatch``)."""
        command.add_done_callback(lambda completion: self.on_ui_thread(lambda: handler(completion)))

    def build(self) -> ScreenManager:
        from kiosk.safe_mode import CatalogUnavailable

        health = self.core.health
        font = register_cjk_font(health.fault)
        if font is None:
            health.out_of_service("font_missing", "no CJK font renders; install fonts-wqy-microhei")
            self.core.set_language("en")  # Kivy's own font has no Chinese: English and digits stay readable
        self.font_path = str(font or "")
        import screens.date_picker
        import screens.keyboard
        import screens.widgets  # noqa: F401  (registers the widget classes widgets.kv styles)

        load_kv("widgets")
        load_kv("keyboard")
        load_kv("dialogs")
        manager = ScreenManager(transition=FadeTransition(duration=0.15))
        Window.bind(on_request_close=self._refuse_close, on_keyboard=self._on_keyboard)
        Clock.schedule_interval(self._watchdog.feed, 1.0)  # never returns False (Kivy would unschedule it)
        if health.in_service:
            try:
                self.core.catalog  # noqa: B018  (a last good one, or safe mode when none loads)
            except CatalogUnavailable as error:
                health.out_of_service("catalog_unavailable", str(error))
        if not health.in_service:
            self.safe_mode.show(manager)  # nothing of the resident journey is built
            return manager
        self.services.voice.muted = self.muted
        self._add_screen(manager, SCREENS[0])  # home; the others right after the first frame (add_screens)
        self.staff_desk.install(manager)  # staff menu (issue 10): gesture, supervisor clock, heartbeat
        Window.bind(on_touch_down=self._on_activity)
        Clock.schedule_interval(self._tick_idle, 1.0)
        return manager

    @staticmethod
    def _add_screen(manager: ScreenManager, name: str) -> None:
        import importlib

        module = importlib.import_module(f"screens.{name}")
        load_kv(name)  # after the module: its classes exist when the rules are applied
        manager.add_widget(getattr(module, f"{name.capitalize()}Screen")(name=name))

    def add_screens(self) -> None:
        """Every resident and staff screen not built yet: the first frame shows home without waiting for them
        (about a second of widget building here); they follow on the next frame, or at the first navigation."""
        if self.root is None:
            return
        for name in SCREENS:
            if not self.root.has_screen(name):
                self._add_screen(self.root, name)
        self.staff_desk.add_screens()

    def screen(self, name: str):
        """The screen called ``name``, built first if the app has not built it yet."""
        self.add_screens()
        return self.root.get_screen(name)

    def on_start(self) -> None:
        # Two hops: the first callback runs in frame 1's tick, the second after frame 1 was drawn.
        Clock.schedule_once(lambda _dt: Clock.schedule_once(self._first_frame_drawn, 0), 0)

    def _first_frame_drawn(self, _dt: float) -> None:
        """Tell systemd (Type=notify) the kiosk is up; the start-up bench listens for the same message. Then
        build the other screens and the search index and start the hardware (``kiosk run``): the home screen
        needs none of them, and a resident who searches or reaches a device step in the first second finds them
        ready a moment later."""
        health = self.core.health
        watchdog.ready("home screen shown" if health.in_service else f"out of service: {health.unserviceable}")
        if health.in_service:
            self.services.indexing.start()
            from screens.keyboard import prepare_engines

            prepare_engines()  # Rime deploys into the data folder's cache in the background
            Clock.schedule_once(lambda _dt: self.add_screens(), 0)
        if self.hardware_after_first_frame and self.core.hardware is None and health.hardware_allowed:
            self.start_hardware()

    def start_hardware(self) -> None:
        """The core's hardware on its worker thread; the outcome comes back on the UI thread. Every consumer (the
        journey, the staff desk) attaches itself on the core's ``hardware_changed``."""
        self.core.start_hardware_later(
            lambda hardware: self.on_ui_thread(lambda: self._hardware_started(hardware)),
            lambda error: self.on_ui_thread(lambda: self._hardware_failed(error)),
        )

    def _hardware_started(self, hardware: Hardware) -> None:
        if self.core.hardware is not hardware:  # closed or replaced meanwhile
            return
        if self.safe_mode.resume:  # a retry succeeded: serve again
            self.safe_mode.resume = False
            self.core.health.back_in_service()
            self.add_screens()
            self.root.current = "home"
            watchdog.status("home screen shown")
            if self.staff_desk is not None and self.staff_desk.heartbeat is not None:
                self.staff_desk.heartbeat.beat_now()  # the operator learns at once that it serves again
        if not self.core.health.in_service:
            self.safe_mode.hardware_started(hardware)

    def _hardware_failed(self, error: BaseException) -> None:
        """Without devices, platform and audit trail the kiosk cannot serve: out of service (never a restart
        loop), the hardware retried with back-off."""
        self.safe_mode.hardware_failed(self.root, error)

    def on_stop(self) -> None:
        watchdog.stopping()
        self.safe_mode.close()
        if self.staff_desk is not None:
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

    def _tick_idle(self, _dt: float = 0.0) -> None:
        journey = self.services.journey
        journey.tick()
        if self._card_dialog is not None:
            self._card_dialog.update(journey.card_grace_left())
        if self.root is None or self.root.current == "home":
            self.core.idle.activity()  # the home screen holds no session: nothing to time out
            return
        state = self.core.idle.state()
        if state.phase is IdlePhase.EXPIRED:
            self._close_idle_dialog()
            if not self._goodbye_first():  # goodbye shown (kept application): its words were the last
                journey.end(EndReason.DONE if self.root.current == "goodbye" else EndReason.IDLE)
        elif state.phase is IdlePhase.WARNING:
            self._open_idle_dialog(state.seconds_left)
        else:
            self._close_idle_dialog()

    def _open_idle_dialog(self, seconds_left: float) -> None:
        from screens.dialogs import IdleDialog

        if self._idle_dialog is None:
            self._idle_dialog = IdleDialog()
            self._idle_dialog.open(animation=False)
            self.say("Do you need more time?")
        self._idle_dialog.seconds = int(seconds_left + 0.5)

    def _close_idle_dialog(self) -> None:
        if self._idle_dialog is not None:
            self._idle_dialog.dismiss(animation=False)
            self._idle_dialog = None

    def more_time(self) -> None:
        self.core.idle.activity()
        self._close_idle_dialog()

    def _open_card_dialog(self) -> None:
        from screens.dialogs import CardDialog

        if self._card_dialog is None:
            self._card_dialog = CardDialog()
            self._card_dialog.open(animation=False)
            self.say("Please put your card back on the reader, or the session ends.")
        self._card_dialog.update(self.services.journey.card_grace_left())

    def _close_card_dialog(self) -> None:
        if self._card_dialog is not None:
            self._card_dialog.dismiss(animation=False)
            self._card_dialog = None

    # -- a person one touch away (呼叫工作人员) ---------------------------------------------------------
    def call_staff(self) -> None:
        """Record the call (the next heartbeat carries it; it beats now) and say what happens next."""
        from screens.dialogs import StaffCallDialog

        screen = self.root.current if self.root is not None else "home"
        self.core.assistance.call(screen)
        heartbeat = self.staff_desk.heartbeat
        notified = heartbeat is not None
        if notified:
            heartbeat.beat_now()
        log.info("a resident called for staff on the %s screen (platform told: %s)", screen, notified)
        settings = self.core.settings
        if self._staff_call_dialog is None:
            self._staff_call_dialog = StaffCallDialog()
            self._staff_call_dialog.open(animation=False)
        dialog = self._staff_call_dialog
        dialog.notified, dialog.hotline = notified, settings.routing.hotline
        dialog.counter_open = self.core.assistance.counter_open()
        dialog.counter_hours = settings.service.counter_hours
        self.say("The staff on duty have been told. Please wait here, or call the hotline."
                 if notified else "This machine cannot reach the staff right now. Please call the hotline.")

    def close_staff_call(self) -> None:
        self.core.idle.activity()
        if self._staff_call_dialog is not None:
            self._staff_call_dialog.dismiss(animation=False)
            self._staff_call_dialog = None

    # -- navigation ----------------------------------------------------------------------------
    def go_home(self) -> None:
        self.navigate("home")

    def navigate(self, screen: str, remember: bool = True) -> bool:
        """Show ``screen`` if this build has it; False (and a log line) otherwise."""
        if self.root is not None and not self.root.has_screen(screen):
            self.add_screens()  # asked for before the first frame's follow-up built it
        if self.root is None or not self.root.has_screen(screen):
            log.warning("no screen named %s in this build", screen)
            return False
        if remember and self.root.current != screen:
            self._history.append(self.root.current)
        if screen == "home":
            self._history.clear()
            if self.core.journey.active:  # home holds no session: arriving there ends one
                self.core.journey.end(EndReason.CANCELLED)
        elif screen in SCREENS:
            self.core.journey.begin("touch")  # the first touch past home starts the resident's session
        self.core.idle.activity()
        self.root.current = screen
        return True

    def back(self) -> None:
        target = self._history.pop() if self._history else "home"
        if target == "home" and self.services.journey.active:
            self.cancel_session()
            return
        self.navigate(target, remember=False)

    def cancel_session(self) -> None:
        """Cancel anywhere: the session is wiped and the kiosk returns home."""
        if self._goodbye_first():
            return
        if self.services.journey.active:
            self.services.journey.end(EndReason.CANCELLED)
        else:
            self.go_home()

    def _goodbye_first(self) -> bool:
        """A resident leaving while their application is kept in memory (a full disk) is told on the goodbye
        screen that it is kept and will be sent, and how to follow it, before the session ends."""
        if not self.services.journey.session.held or self.root is None or self.root.current == "goodbye":
            return False
        self._close_idle_dialog()
        self._close_card_dialog()
        return self.navigate("goodbye")

    # -- voice -----------------------------------------------------------------------------------
    def say(self, message: str) -> None:
        """Speak a step's prompt (translated) unless muted; silent where there is no voice or no audio."""
        voice = self.services.voice
        voice.muted = self.muted
        text = self.core.t(message)
        voice.prepare(text, self.lang, self.elder, lambda path: Clock.schedule_once(lambda _dt: self._play(path)))

    def _play(self, path) -> None:
        if path is None or self.muted:
            return
        try:
            from kivy.core.audio import SoundLoader

            if getattr(self, "_sound", None) is not None:
                self._sound.stop()
            self._sound = SoundLoader.load(str(path))
            if self._sound is not None:
                self._sound.play()
        except Exception:  # no audio device: guidance stays on screen only
            log.info("voice prompt not played (no audio output)")

    def toggle_mute(self) -> None:
        self.muted = not self.muted
        self.services.voice.muted = self.muted
        if self.muted and getattr(self, "_sound", None) is not None:
            self._sound.stop()

    # -- core events -------------------------------------------------------------------------
    def _on_core_event(self, kind: str, payload: dict[str, Any]) -> None:
        """Core events may come from device or delivery threads: widgets change only on the UI thread."""
        if threading.current_thread() is not threading.main_thread():
            self.on_ui_thread(lambda: self._on_core_event(kind, payload))
            return
        if kind == "journey":
            self._on_journey(payload)
        elif kind == "language":
            self.lang = payload["language"]
        elif kind == "elder_mode":
            self.elder = payload["on"]
            if self.elder:
                self.muted = False  # elder mode speaks: every screen's prompt aloud
            self.theme = Theme.make(Window.size, self.elder, self.core.settings.elder.scale)

    def _on_journey(self, payload: dict[str, Any]) -> None:
        what = payload.get("what")
        if what == "card_removed":
            self._open_card_dialog()
        elif what == "identity":
            self._close_card_dialog()
        elif what == "ended":
            self._close_card_dialog()
            self._close_idle_dialog()
            reason = payload.get("reason")
            self.notice = {
                "idle": N_("The session ended because there was no activity. Nothing of it was kept."),
                "card_removed": N_("The card was taken away, so the session ended. Nothing of it was kept."),
                "other_card": N_("Another card was placed, so the session ended. Please start again."),
            }.get(reason, "")
            self.go_home()
        if self.root is not None:
            handler = getattr(self.root.current_screen, "on_journey", None)
            if handler is not None:
                handler(payload)
