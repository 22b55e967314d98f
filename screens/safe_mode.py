"""Safe mode in the app (issue 17, kiosk.safe_mode): the out-of-service screen instead of a restart loop.

While the kiosk cannot serve, the app keeps its UI loop (so the watchdog is fed), shows the out-of-service
screen, tells systemd why (``STATUS=``), and — unless starting the configured parts would pretend to serve —
starts the hardware anyway for the heartbeat and the fleet updater, so the operator sees the reason and a fix can
arrive. When the hardware itself does not start, its beacon does (``Kiosk.start_beacon``: the platform client
alone) and the heartbeat goes on from it between the retries. A fix ends safe mode: a fleet bundle applied or the
site file edited restarts the kiosk (exit 75, which systemd restarts at once); a hardware start that failed is
retried with back-off and the kiosk comes back by itself.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

from kivy.clock import Clock

from kiosk import watchdog
from screens.out_of_service import NAME, OutOfServiceScreen

log = logging.getLogger(__name__)

RESTART_STATUS = 75  # the staff menu's "restart the app": systemd starts the kiosk again (docs/deploy.md)
RETRY_FIRST_S = 15.0
RETRY_MAX_S = 600.0
SITE_FILE_CHECK_S = 5.0


class SafeMode:
    def __init__(self, app: Any) -> None:
        self.app = app
        self.heartbeat: Any = None  # kiosk.heartbeat.Heartbeat while the hardware runs in safe mode
        self.console_link: Any = None  # kiosk.fleet.console_link.ConsoleLink, when a fleet console is configured
        self._retry_s = RETRY_FIRST_S
        self._site_stamp = self._site_file_stamp()
        self._events: list[Any] = []
        self.resume = False  # a retried hardware start that succeeds puts the kiosk back in service
        # whatever the hardware becomes, the heartbeat on the one before it ends (its client is stopping)
        self._unlink = app.core.hardware_changed.connect(lambda _hardware: self._stop_heartbeat())

    @property
    def health(self) -> Any:
        return self.app.core.health

    def show(self, manager: Any) -> None:
        """Put the out-of-service screen up (building it once) and say why to systemd."""
        from screens.app import load_kv

        load_kv(NAME)
        if not manager.has_screen(NAME):
            manager.add_widget(OutOfServiceScreen(name=NAME))
        manager.get_screen(NAME).reason_code = self.health.reason_code
        manager.current = NAME
        watchdog.status(f"out of service: {self.health.unserviceable}")
        if self.health.reason_code == "site_file_refused" and not self._events:
            self._events.append(Clock.schedule_interval(self._check_site_file, SITE_FILE_CHECK_S))

    def hardware_started(self, hardware: Any) -> None:
        """Safe mode with the hardware (or its beacon) up: only the heartbeat (the reason reaches the operator) and
        the fleet updater the core started; no resident service. An installed staff desk beats itself: it attaches
        to whatever hardware the core runs."""
        from kiosk.fleet.console_link import ConsoleLink, ConsoleLinkError
        from kiosk.heartbeat import Heartbeat

        desk = self.app.staff_desk
        if hardware.client is None or self.heartbeat is not None or (desk is not None and desk.installed):
            return
        if self.app.core.hardware is not hardware or self.health.in_service:
            return  # replaced meanwhile, or back in service
        try:
            self.console_link = ConsoleLink.from_settings(self.app.core.settings)  # the operators' console too
        except ConsoleLinkError as error:
            log.warning("no heartbeats to the fleet console: %s", error)
        mirror = self.console_link.send if self.console_link is not None else None
        self.heartbeat = Heartbeat.for_core(self.app.core, hardware, mirror=mirror)
        self.heartbeat.start()

    def hardware_failed(self, manager: Any, error: BaseException) -> None:
        """The hardware did not start: out of service now, a new try after a back-off (15 s doubling to 10 min)."""
        self.resume = self.resume or self.health.in_service  # not when safe mode had another reason already
        self.health.out_of_service("hardware_failed", f"{type(error).__name__}: {error}")
        self.show(manager)
        log.error("hardware did not start; next try in %.0f s", self._retry_s)
        self._events.append(Clock.schedule_once(lambda _dt: self.app.start_hardware(), self._retry_s))
        self._retry_s = min(self._retry_s * 2, RETRY_MAX_S)
        if self.health.hardware_allowed:  # meanwhile the operator sees the kiosk and why: the beacon's heartbeat
            self.app.core.start_hardware_later(
                lambda beacon: self.app.on_ui_thread(lambda: self.hardware_started(beacon)),
                lambda error: log.error("no heartbeat while out of service: %s", error),  # no platform client either
                beacon=True,
            )

    def config_changed(self) -> None:
        """A fleet bundle was applied while out of service: start again on it."""
        if not self.health.in_service:
            log.info("configuration changed while out of service: restarting the kiosk")
            self.restart()

    def restart(self) -> None:
        self.app.exit_status = RESTART_STATUS
        self.app.stop()

    def close(self) -> None:
        for event in self._events:
            event.cancel()
        self._events.clear()
        self._unlink()
        self._stop_heartbeat()

    def _stop_heartbeat(self) -> None:
        if self.heartbeat is not None:
            self.heartbeat.stop()
            self.heartbeat = None
        if self.console_link is not None:
            self.console_link.close()
            self.console_link = None

    def _site_file_stamp(self) -> tuple[float, int] | None:
        site: Path | None = self.app.core.site_file
        try:
            stat = site.stat() if site is not None else None
        except OSError:
            return None
        return None if stat is None else (stat.st_mtime, stat.st_size)

    def _check_site_file(self, _dt: float) -> None:
        """The technician fixed (or replaced) the refused site file: start again and read it."""
        stamp = self._site_file_stamp()
        if stamp != self._site_stamp:
            log.info("the site file changed while out of service: restarting the kiosk")
            self.restart()
