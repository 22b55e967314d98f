"""The kiosk core the UI is a view over: settings, language, elder mode, idle timer, events.

Everything here runs headless; screens subscribe to events and call these methods.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from kiosk import clock
from kiosk.assistance import Assistance
from kiosk.config import LoadedConfig, Settings
from kiosk.health import Health
from kiosk.i18n import LANGUAGES, translator
from kiosk.idle import IdleTimer

if TYPE_CHECKING:
    from kiosk.hardware import Hardware

log = logging.getLogger(__name__)

Listener = Callable[[str, dict[str, Any]], None]


class Kiosk:
    def __init__(self, config: LoadedConfig, data_dir: Path, site_file: Path | None = None) -> None:
        self.config = config
        self.data_dir = data_dir
        self.site_file = site_file
        self.session_active = False  # a resident is mid-journey: configuration changes wait until it ends
        self.fleet: Any = None  # kiosk.fleet.updater.FleetUpdater when fleet updates are configured
        clock.configure(self.settings.kiosk.time_zone)
        self.health = Health(data_dir)  # start-up faults, safe mode, the heartbeat's health fields
        self.assistance = Assistance(self.settings.service.counter_hours)  # 呼叫工作人员 calls for the heartbeat
        self.language = self.settings.kiosk.language
        self.elder_mode = self.settings.elder.default_on
        self.idle = IdleTimer(self.settings.idle.timeout_s, self.settings.idle.warning_s)
        self.hardware: Hardware | None = None  # devices, simulators, platform client, outbox, audit
        self._starting: threading.Thread | None = None  # start_hardware_later's worker
        self._listeners: list[Listener] = []
        self._lock = threading.Lock()
        self._apply_elder_timeouts()

    def start_hardware(self) -> Hardware:
        """Devices, simulators, platform, outbox, audit; then fleet updates when a repository is configured."""
        from kiosk.hardware import Hardware

        self.hardware = Hardware.start(self.settings, self.data_dir)
        for code, detail in self.hardware.faults:  # worked around (a quarantined database): the heartbeat says so
            self.health.fault(code, detail)
        if self.settings.fleet.repo_url:
            self._start_fleet()
        return self.hardware

    def start_hardware_later(self, started: Callable[[Hardware], None],
                             failed: Callable[[BaseException], None]) -> None:  # fmt: skip
        """``start_hardware`` on a worker thread, so the first frame does not wait for devices, simulators and
        the platform (about a second here); ``started`` or ``failed`` is called on that thread."""

        def start() -> None:
            try:
                hardware = self.start_hardware()
            except Exception as error:
                log.exception("the hardware did not start")
                failed(error)
                return
            started(hardware)

        self._starting = threading.Thread(target=start, name="hardware-start", daemon=True)
        self._starting.start()

    def close(self) -> None:
        starting, self._starting = self._starting, None
        if starting is not None:
            starting.join(120)  # a kiosk stopped while starting still closes what started (a private pcscd)
        fleet, self.fleet = self.fleet, None
        if fleet is not None:
            fleet.stop()
        hardware, self.hardware = self.hardware, None
        if hardware is not None:
            hardware.stop()

    # -- configuration changes --------------------------------------------------------------
    def _start_fleet(self) -> None:
        from kiosk.fleet.updater import FleetUpdater

        assert self.hardware is not None
        self.fleet = FleetUpdater.from_settings(
            self.settings,
            self.data_dir,
            site_file=self.site_file,
            session_active=lambda: self.session_active,
            audit=self._audit_fleet,
            platform_check=self._platform_answers,
            on_applied=lambda _bundle: self.reload_config(),
        )
        self.fleet.start()

    def _audit_fleet(self, kind: str, **fields: Any) -> None:
        # Through the core, not a bound method: a hardware restart replaces the audit trail object.
        if self.hardware is not None:
            self.hardware.audit.record(kind, "fleet", **fields)

    def _platform_answers(self, url: str) -> None:
        """Health check for a bundle that moves the platform: the gateway must answer this kiosk's credentials."""
        from kiosk.platform import PlatformClient

        assert self.hardware is not None
        client = PlatformClient(url, self.hardware.token, self.settings.kiosk.id,
                                ca_bundle=self.settings.platform.ca_bundle or None)  # fmt: skip
        try:
            client.progress("HEALTH-CHECK-0")  # an unknown number: a 404 proves reachability and credentials
        finally:
            client.close()

    def end_session(self) -> None:
        """A resident session ended: configuration waiting for it may be applied now."""
        self.session_active = False
        if self.fleet is not None:
            self.fleet.session_ended()

    def reload_config(self) -> None:
        """Re-read every layer (an applied fleet bundle, an edited site file); restart the hardware when the
        device or platform settings changed. Runs between resident sessions."""
        from kiosk.config import load_settings
        from kiosk.fleet.applied import current_layer

        old = self.settings
        self.config = load_settings(site_file=self.site_file, remote=current_layer(self.data_dir),
                                    state_dir=self.data_dir / "state")  # fmt: skip
        new = self.settings
        clock.configure(new.kiosk.time_zone)
        self.assistance.counter_hours = new.service.counter_hours
        self.idle = IdleTimer(new.idle.timeout_s, new.idle.warning_s)
        self._apply_elder_timeouts()
        if self.hardware is not None and (old.devices != new.devices or old.platform != new.platform):
            log.info("device or platform settings changed: restarting the hardware")
            self.hardware.stop()
            from kiosk.hardware import Hardware

            self.hardware = Hardware.start(new, self.data_dir)
        self.emit("config_reloaded", errors=self.config.errors)

    @property
    def settings(self) -> Settings:
        return self.config.settings

    def t(self, message: str) -> str:
        """Translate a UI message into the current language ("" stays "": gettext would return the header)."""
        return translator(self.language)(message) if message else ""

    # -- events ------------------------------------------------------------------------
    def subscribe(self, listener: Listener) -> Callable[[], None]:
        with self._lock:
            self._listeners.append(listener)
        return lambda: self._listeners.remove(listener) if listener in self._listeners else None

    def emit(self, kind: str, **payload: Any) -> None:
        with self._lock:
            listeners = list(self._listeners)
        for listener in listeners:
            try:
                listener(kind, payload)
            except Exception:
                log.exception("listener failed for event %s", kind)

    # -- resident choices -----------------------------------------------------------------
    def set_language(self, language: str) -> None:
        if language not in LANGUAGES:
            raise ValueError(f"unsupported language {language!r}")
        self.language = language
        self.emit("language", language=language)

    def set_elder_mode(self, on: bool) -> None:
        self.elder_mode = on
        self._apply_elder_timeouts()
        self.emit("elder_mode", on=on)

    def _apply_elder_timeouts(self) -> None:
        self.idle.set_factor(self.settings.elder.timeout_factor if self.elder_mode else 1.0)
