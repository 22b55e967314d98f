"""The staff side of the app (issue 10): entry (corner gesture or staff card, then the PIN pad), the staff
session and its idle close, the device supervisor's clock and events, the heartbeat thread, out-of-service mode.

The app creates one :class:`StaffDesk` (``app.staff_desk``) and calls ``install(manager)`` once its screens
exist. The hardware is the core's (``core.hardware``): the desk attaches to it (supervisor, staff cards, heartbeat)
on the core's ``hardware_changed`` event, and lets go of it before a restart replaces it. Device and supervisor
events arrive on worker threads and are handed to the UI thread (``app.on_ui_thread``); the UI never waits on a
device.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from kivy.clock import Clock
from kivy.core.window import Window
from kivy.event import EventDispatcher
from kivy.lang import Builder
from kivy.properties import BooleanProperty, NumericProperty, ObjectProperty, StringProperty

from kiosk.staff import CornerTapGesture, Outcome, StaffAuth, corner_region, hash_card
from kiosk.staff.maintenance import Maintenance, ServiceMode
from screens.staff_widgets import N_

log = logging.getLogger(__name__)

_KV_DIR = Path(__file__).parent
STAFF_SCREENS = ("staff_pin", "staff_menu", "staff_status", "staff_selftest", "staff_outbox", "staff_info")
PIN_IDLE_S = 60.0  # an abandoned PIN pad goes back home
EXIT_RESTART = 75  # EX_TEMPFAIL: systemd's Restart=always starts the app again
EXIT_TO_DESKTOP = 64  # RestartPreventExitStatus=64 in deploy/tongban-kiosk.service: stays stopped
# Device names as staff and residents read them (msgids).
DEVICE_LABELS = {
    "idcard": N_("ID card reader"),
    "sscard": N_("Social security card reader"),
    "printer": N_("Receipt printer"),
    "camera": N_("Camera"),
}
_loaded = False


def load_staff_kv() -> None:
    """The staff widgets' rules (home's overlay uses them, so they load before any screen is built)."""
    global _loaded
    if not _loaded:
        import screens.staff_widgets  # noqa: F401  (classes the rules style)

        Builder.load_file(str(_KV_DIR / "staff_widgets.kv"))
        _loaded = True


class StaffDesk(EventDispatcher):
    out_of_service: bool = BooleanProperty(False)
    degraded_text: str = StringProperty("")  # msgid-built notice for the home screen; "" when all is well
    degraded_devices: list = ObjectProperty([])  # names of required devices that are not ready
    status_serial: int = NumericProperty(0)  # bumped on every supervisor change: boards refresh on it
    session = ObjectProperty(None, allownone=True)  # kiosk.staff.StaffSession while the menu is open
    pending_member = ObjectProperty(None, allownone=True)  # StaffMember identified by a card, awaiting the PIN

    def __init__(self, app: Any, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.app = app
        self.core = app.core
        self.heartbeat: Any = None
        self.console_link: Any = None  # kiosk.fleet.console_link.ConsoleLink: heartbeats to the fleet console too
        self.auth = StaffAuth(self.core.settings.staff, self.core.data_dir)
        self.service_mode = ServiceMode(self.core.data_dir)
        self.out_of_service = self.service_mode.out_of_service
        self.service_mode.subscribe(lambda on: self._on_ui_thread(lambda: setattr(self, "out_of_service", on)))
        self.maintenance = Maintenance(self.core.settings, self.core.data_dir, lambda: self.core.hardware,
                                       service_mode=self.service_mode)  # fmt: skip
        self.gesture = CornerTapGesture(corner_region(1, 1), taps=5, window_s=3.0)
        self.quit_app = self._quit  # tests replace this to observe restart and exit
        self._unsubscribe: list[Any] = []
        self._events: list[Any] = []
        self._manager: Any = None  # the app's ScreenManager, once installed
        self.pin_opened_at = 0.0
        self.maintenance.fleet_status = self._fleet_status
        self._attached: Any = None  # the hardware the listeners below are on
        self._core_links = [self.core.hardware_changed.connect(self._on_hardware_changed),
                            self.core.config_changed.connect(lambda _config: self._on_ui_thread(self._reconfigure))]
        load_staff_kv()

    @property
    def hardware(self) -> Any:
        """The core's running hardware (``kiosk.hardware.Hardware``), None while it is not started."""
        return self.core.hardware

    # -- wiring ----------------------------------------------------------------------------------------
    @property
    def installed(self) -> bool:
        """Installed on the app's screens (not in safe mode from the start): it attaches to the core's hardware."""
        return self._manager is not None

    def install(self, manager: Any) -> None:
        self._manager = manager
        Window.bind(on_touch_down=self._on_window_touch)
        self._events.append(Clock.schedule_interval(self.tick, 1.0))
        if self.core.hardware is not None:
            self._attach(self.core.hardware)

    def add_screens(self) -> None:
        """The staff screens (``TongbanApp.add_screens`` calls this right after the first frame); a staff member
        who arrives sooner builds them on the way in."""
        import importlib

        from screens.app import load_kv

        for name in STAFF_SCREENS:
            if self._manager is None or self._manager.has_screen(name):
                continue
            module = importlib.import_module(f"screens.{name}")
            load_kv(name)  # once per process
            cls = getattr(module, "".join(part.capitalize() for part in name.split("_")) + "Screen")
            self._manager.add_widget(cls(name=name))

    def _on_hardware_changed(self, hardware: Any) -> None:
        """On the core's thread: let go of the old hardware now (it stops right after); attach on the UI thread."""
        if self._attached is not None:
            self._detach_listeners()
        if hardware is None:
            self._on_ui_thread(self.detach)
        elif self._manager is not None:  # installed (not in safe mode, where only its heartbeat runs)
            self._on_ui_thread(lambda: self.core.hardware is hardware and self._attach(hardware))

    def _attach(self, hardware: Any) -> None:
        """Use the running hardware: supervisor events, staff cards, the heartbeat, the audit trail."""
        from kiosk.heartbeat import Heartbeat

        if self._attached is hardware:
            return
        self._detach_listeners()
        self._attached = hardware
        self.auth = StaffAuth(self.core.settings.staff, self.core.data_dir, audit=self.core.audit)
        self.maintenance.settings = self.core.settings
        if hardware.supervisor is not None:
            self._unsubscribe.append(hardware.supervisor.subscribe(self._on_supervisor_change))
        for name in ("idcard", "sscard"):
            device = hardware.devices.get(name)
            if device is not None:
                self._unsubscribe.append(device.subscribe(self._on_card_event))
        if hardware.client is not None:
            from kiosk.fleet.console_link import ConsoleLink, ConsoleLinkError

            try:
                self.console_link = ConsoleLink.from_settings(self.core.settings)
            except ConsoleLinkError as error:
                log.warning("no heartbeats to the fleet console: %s", error)
            self.heartbeat = Heartbeat.for_core(self.core, hardware, lambda: self.service_mode.out_of_service,
                                                self.console_link.send if self.console_link is not None else None)
            self.maintenance.heartbeat = self.heartbeat
            self.heartbeat.start()
        self.refresh_status()

    def _detach_listeners(self) -> None:
        """Any thread: device and supervisor listeners off, heartbeat thread stopped."""
        for unsubscribe in self._unsubscribe:
            unsubscribe()
        self._unsubscribe.clear()
        heartbeat, self.heartbeat = self.heartbeat, None
        self.maintenance.heartbeat = None
        if heartbeat is not None:
            heartbeat.stop()
        link, self.console_link = self.console_link, None
        if link is not None:
            link.close()
        self._attached = None

    def detach(self, refresh: bool = True) -> None:
        """Stop using the hardware (it stopped or is stopping): listeners off, heartbeat stopped, menu closed."""
        if self.session is not None:
            self.session.close("shutdown")
        self._detach_listeners()
        if refresh:
            self.refresh_status()

    def close(self) -> None:
        """At app stop: no status refresh, whose KV rules would run while the app is already gone."""
        for event in self._events:
            event.cancel()
        for link in self._core_links:
            link()
        self.detach(refresh=False)

    def _reconfigure(self) -> None:
        """A fleet bundle or an edited site file applied: staff and service settings may differ."""
        self.auth = StaffAuth(self.core.settings.staff, self.core.data_dir, audit=self.core.audit)
        self.maintenance.settings = self.core.settings
        if self.heartbeat is not None:
            self.heartbeat.interval_s = self.core.settings.service.heartbeat_interval_s

    def _fleet_status(self) -> dict[str, Any]:
        """The running updater's view when fleet updates are on; otherwise what the data folder says."""
        if self.core.fleet is not None:
            return self.core.fleet.status()
        return Maintenance._fleet_status(self.maintenance)

    def _on_ui_thread(self, work: Callable[[], object]) -> None:
        self.app.on_ui_thread(work)

    # -- the clock -----------------------------------------------------------------------------------
    def tick(self, _dt: float = 0.0) -> None:
        """Once a second: the supervisor (settling, paper estimate, counters), the staff session's idle close."""
        supervisor = None if self.hardware is None else self.hardware.supervisor
        if supervisor is not None:
            supervisor.tick()
        root = self.app.root
        on_staff_screen = root is not None and root.current in STAFF_SCREENS
        if on_staff_screen:
            self.core.idle.activity()  # the staff session's own idle timeout governs here, not the resident's
            if root.current == "staff_pin" and time.monotonic() - self.pin_opened_at > PIN_IDLE_S:
                self.cancel_pin()
        if self.session is not None:
            if not on_staff_screen:
                self.session.close("left_menu")  # something else took the screen: never leave a session open
            else:
                self.session.tick()  # closes when idle: on_close takes the menu back home

    # -- device health ---------------------------------------------------------------------------------
    def _on_supervisor_change(self, _change: Any) -> None:
        self._on_ui_thread(self.refresh_status)  # called on a device thread
        if self.heartbeat is not None:
            self.heartbeat.beat_now()

    def refresh_status(self) -> None:
        supervisor = None if self.hardware is None else self.hardware.supervisor
        down = [] if supervisor is None else [h.name for h in supervisor.snapshot() if h.required and not h.ready]
        self.degraded_devices = down
        self.degraded_text = N_("Some services are unavailable right now: {devices}") if down else ""
        self.status_serial += 1

    def degraded_message(self) -> str:
        t = self.core.t
        names = "、".join(t(DEVICE_LABELS.get(n, n)) for n in self.degraded_devices)
        return t(self.degraded_text).format(devices=names) if self.degraded_text else ""

    # -- entry ----------------------------------------------------------------------------------------
    def _on_window_touch(self, window: Any, touch: Any) -> bool:
        if self.session is not None:
            self.session.touch()  # any touch keeps the menu open
            return False
        root = self.app.root
        if root is None or root.current != "home":
            self.gesture.reset()
            return False
        self.gesture.region = corner_region(window.width, window.height, size=self.app.theme.px(140))
        if self.gesture.touch(touch.x, touch.y, time.monotonic()):
            Clock.schedule_once(lambda _dt: self.open_pin(None))
        return False

    def _on_card_event(self, event: Any) -> None:
        """On a reader's thread: a staff card on the home screen opens the PIN pad for its holder."""
        if event.kind != "identity_read":
            return
        identity = event.payload.get("identity")
        numbers = [getattr(identity, "id_number", None), (getattr(identity, "extra", None) or {}).get("card_number")]
        hashes = {m.card_hash for m in self.core.settings.staff.members if m.card_hash}
        for number in filter(None, numbers):
            if hash_card(str(number)) in hashes:
                self._on_ui_thread(lambda number=number: self._staff_card(str(number)))
                return

    def _staff_card(self, number: str) -> None:
        root = self.app.root
        if root is None or root.current != "home" or self.session is not None:
            return
        member = self.auth.identify_card(number)  # audited
        if member is not None:
            self.open_pin(member)

    def open_pin(self, member: Any) -> None:
        self.pending_member = member
        self.pin_opened_at = time.monotonic()
        self.add_screens()
        self.app.root.get_screen("staff_pin").reset()
        self.app.root.current = "staff_pin"

    def check_pin(self, pin: str, member: Any) -> Any:
        """The PIN check alone (any thread; audited by ``StaffAuth``): the ``LoginResult``."""
        return self.auth.login(pin, member_id=member.id if member else None, on_close=self._session_closed)

    def signed_in(self, result: Any) -> None:
        """On the UI thread, after :meth:`check_pin`: a good PIN opens the menu."""
        if result.outcome is Outcome.OK:
            self.core.assistance.answered()  # staff came to the kiosk: a resident's call is over
            self.pending_member = None
            self.session = result.session
            self.app.root.current = "staff_menu"

    def cancel_pin(self) -> None:
        self.pending_member = None
        self.app.go_home()

    def logout(self) -> None:
        if self.session is not None:
            self.session.close("logout")

    def _session_closed(self, reason: str) -> None:
        log.info("staff session closed (%s)", reason)
        self.session = None
        self._on_ui_thread(self.app.go_home)

    def keep_receipt(self, reference: str, document: Any) -> None:
        """A resident's receipt printed: keep its masked content for reprint. Any thread; never raises."""
        try:
            self.maintenance.receipts.keep(reference, document)
        except Exception:  # a receipt that cannot be kept (e.g. unmasked data) must not disturb the resident
            log.exception("receipt %s not kept for reprint", reference)

    # -- actions the menu hands back to the app ----------------------------------------------------------
    def restart(self) -> None:
        self.maintenance.restart(self.session)
        self.logout()
        self.quit_app(EXIT_RESTART)

    def exit_to_desktop(self) -> None:
        self.maintenance.exit_to_desktop(self.session)
        self.logout()
        self.quit_app(EXIT_TO_DESKTOP)

    def _quit(self, status: int) -> None:
        self.app.exit_status = status  # `kiosk run` exits with it
        Clock.schedule_once(lambda _dt: self.app.stop(), 0.2)
