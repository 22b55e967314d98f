"""The kiosk core, the one owner of what runs: configuration, hardware, outbox, audit trail, fleet updater and the
resident journey. The UI is a view over it.

Everything here runs headless. Others read what runs through the core (``core.hardware``, ``core.office``,
``core.journey`` …) and hear a typed event when it changes (:mod:`kiosk.events`): ``hardware_changed`` (started,
restarted for new device or platform settings, stopped), ``config_changed`` (a fleet bundle or an edited site file
applied). Nobody keeps a copy of a device, the outbox or the audit trail: a hardware restart replaces them all,
and every consumer re-attaches on the event. Configuration changes wait while a resident session is active
(``session_active`` is derived from the journey, never set) and apply when it ends.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any, cast

from kiosk import clock
from kiosk.assistance import Assistance
from kiosk.config import LoadedConfig, Settings
from kiosk.events import Signal
from kiosk.health import Health
from kiosk.i18n import LANGUAGES, Message, catalog_words_translator, render, translator
from kiosk.idle import IdleTimer
from kiosk.journey import Journey

if TYPE_CHECKING:
    from drivers.contract import Device
    from drivers.printer import ThermalPrinter
    from kiosk.applications import ApplicationOffice
    from kiosk.audit import AuditTrail
    from kiosk.catalog import Catalog
    from kiosk.fleet.bundle import Bundle
    from kiosk.fleet.updater import FleetUpdater
    from kiosk.hardware import Hardware

log = logging.getLogger(__name__)

Listener = Callable[[str, dict[str, Any]], None]
CARD_GRACE_S = 15.0  # a card pulled mid-journey may be put back this long (times the elder factor)
SITE_FILE_CHECK_S = 5.0  # how often the running kiosk looks at its site file for a technician's edit


class Kiosk:
    def __init__(self, config: LoadedConfig, data_dir: Path, site_file: Path | None = None,
                 health: Health | None = None) -> None:  # fmt: skip
        self.config = config
        self.data_dir = data_dir
        self.site_file = site_file
        clock.configure(self.settings.kiosk.time_zone)
        self.health = health or Health(data_dir)  # start-up faults, safe mode, the heartbeat's health fields
        self.assistance = Assistance(self.settings.service.counter_hours)  # 呼叫工作人员 calls for the heartbeat
        self.language: str = self.settings.kiosk.language
        self.elder_mode = self.settings.elder.default_on
        self.idle = IdleTimer(self.settings.idle.timeout_s, self.settings.idle.warning_s)
        self.hardware_changed: Signal[Hardware | None] = Signal("hardware_changed")
        self.config_changed: Signal[LoadedConfig] = Signal("config_changed")
        self._hardware: Hardware | None = None
        self._office: ApplicationOffice | None = None
        self._audit: AuditTrail | None = None
        self._catalog: Catalog | None = None
        self._fleet: FleetUpdater | None = None
        self._reload_waiting = False  # a configuration change arrived during a session
        self._hardware_wanted = False  # start_hardware was called: a restart starts it again (close clears it)
        self._site_stamp = self._site_file_stamp()
        self._site_watch: threading.Thread | None = None
        self._closing = threading.Event()
        self._starting: list[threading.Thread] = []  # start_hardware_later's workers
        self._beacon = False  # the running hardware is safe mode's beacon (start_beacon), not the full set
        self._listeners: list[Listener] = []
        self._lock = threading.Lock()
        self._hardware_lock = threading.RLock()  # start, restart and close of the hardware, one at a time
        self._config_lock = threading.RLock()  # one reload at a time (the fleet's thread, a session's end)
        # A session's start and a configuration change's activation, one at a time: nothing starts between the
        # "no session" check and the change applying (a resident touching then waits for it, a second or two).
        self._session_gate = threading.RLock()
        self.journey = Journey(lambda: self._office, self.emit, kiosk_id=self.settings.kiosk.id,
                               card_grace_s=self._card_grace_s(), gate=self._session_gate)  # fmt: skip
        self.journey.session_changed.connect(self._on_session_changed)
        self._apply_elder_timeouts()

    # -- what runs (read through the core, never copied) --------------------------------------------------
    @property
    def settings(self) -> Settings:
        return self.config.settings

    @property
    def hardware(self) -> Hardware | None:
        """Devices, simulators, platform client, outbox and supervisor; None before the start, while a restart
        replaces them, and after the close."""
        return self._hardware

    @property
    def office(self) -> ApplicationOffice | None:
        """Applications on the running platform client, outbox and printer (None without them)."""
        return self._office

    @property
    def audit(self) -> AuditTrail | None:
        """The audit trail: opened before the hardware and kept across its restarts."""
        return self._audit

    @property
    def fleet(self) -> FleetUpdater | None:
        return self._fleet

    @property
    def devices(self) -> dict[str, Device]:
        return dict(self._hardware.devices) if self._hardware is not None else {}

    @property
    def catalog(self) -> Catalog:
        """The service catalog: an applied fleet bundle's (checked to load before it was applied) or the packaged;
        one that no longer loads gives way to the last good one (raises CatalogUnavailable when none loads: safe
        mode)."""
        if self._catalog is None:
            from kiosk.safe_mode import usable_catalog

            self._catalog = usable_catalog(self.data_dir, self.health.fault)
        return self._catalog

    @property
    def session_active(self) -> bool:
        """A resident is mid-journey (derived from the journey's session: configuration changes wait)."""
        return self.journey.active

    # -- hardware ---------------------------------------------------------------------------------------
    def start_hardware(self) -> Hardware:
        """Audit trail, fleet updates (when a repository is configured), then devices, simulators, platform and
        outbox. The fleet updater does not depend on the hardware: when the devices do not start, a bundle that
        fixes their settings can still arrive. Running hardware is returned as it is (never replaced). When the
        hardware does not start on a fleet bundle it never started on (applied by ``kiosk config pull --once``, or
        while the kiosk was stopped), the bundle is reverted as a running kiosk reverts it, and the last good
        configuration started; raises when that does not start either (safe mode)."""
        try:
            return self._start_hardware()
        except Exception as error:
            if self._fleet is None or not self._fleet.revert_unstarted(f"hardware start: {error}"):
                raise
        with self._session_gate, self._config_lock:
            self._reload()  # the last good configuration: restarts the hardware on it
        if self._hardware is None:
            raise RuntimeError("the hardware did not start on the last good configuration either")
        return self._hardware

    def _start_hardware(self) -> Hardware:
        from kiosk.hardware import Hardware

        with self._hardware_lock:
            if self._hardware is not None and not self._beacon:
                return self._hardware  # a second caller gets the running hardware, not a second set of devices
            self._stop_hardware()  # safe mode's beacon, if one runs, gives way to the full start it retries
            self._hardware_wanted = True
            audit = self._open_audit()
            if self.settings.fleet.repo_url and self._fleet is None:
                self._start_fleet()
            if self.site_file is not None and self._site_watch is None:
                self._site_watch = threading.Thread(target=self._watch_site_file, name="site-file", daemon=True)
                self._site_watch.start()
            hardware = Hardware.start(self.settings, self.data_dir, audit=audit, devices=self.health.devices_allowed,
                                      outbox=self.health.devices_allowed)  # fmt: skip
            for code, detail in hardware.faults:  # worked around (a quarantined database): the heartbeat says so
                self.health.fault(code, detail)
            self._use_hardware(hardware)
            return hardware

    def start_beacon(self) -> Hardware:
        """Safe mode after a failed hardware start (``hardware_failed``): the audit trail and the platform client
        alone — no device, no outbox, nothing that serves a resident — so the heartbeat still tells the operator
        why the kiosk is out of service while the full start is retried (``start_hardware`` replaces it). Running
        hardware is returned as it is."""
        from kiosk.hardware import Hardware

        with self._hardware_lock:
            if self._hardware is None:
                beacon = Hardware.start(self.settings, self.data_dir, audit=self._open_audit(), devices=False,
                                        outbox=False)  # fmt: skip
                self._use_hardware(beacon, beacon=True)
            assert self._hardware is not None
            return self._hardware

    def start_hardware_later(self, started: Callable[[Hardware], None], failed: Callable[[BaseException], None],
                             *, beacon: bool = False) -> None:  # fmt: skip
        """``start_hardware`` (``start_beacon`` with ``beacon``) on a worker thread, so the first frame does not
        wait for devices, simulators and the platform (about a second here); ``started`` or ``failed`` is called
        on that thread."""

        def start() -> None:
            try:
                hardware = self.start_beacon() if beacon else self.start_hardware()
            except Exception as error:
                log.exception("safe mode's heartbeat did not start" if beacon else "the hardware did not start")
                failed(error)
                return
            started(hardware)

        self._starting = [thread for thread in self._starting if thread.is_alive()]
        self._starting.append(threading.Thread(target=start, name="hardware-start", daemon=True))
        self._starting[-1].start()

    def close(self) -> None:
        self._closing.set()
        watch, self._site_watch = self._site_watch, None
        if watch is not None:
            watch.join(10)
        starting, self._starting = self._starting, []
        for thread in starting:
            thread.join(120)  # a kiosk stopped while starting still closes what started (a private pcscd)
        fleet, self._fleet = self._fleet, None
        if fleet is not None:
            fleet.stop()
        with self._hardware_lock:
            self._hardware_wanted = False
            self._stop_hardware()
            audit, self._audit = self._audit, None
            if audit is not None:
                audit.close()

    def _open_audit(self) -> AuditTrail:
        """Opened once, before the hardware; a corrupt trail is quarantined (kept byte for byte) and a fresh one
        opened: never a restart loop."""
        if self._audit is None:
            from kiosk.audit import FILE_NAME, AuditTrail
            from kiosk.quarantine import database_problem, quarantine

            path = self.data_dir / FILE_NAME
            problem = database_problem(path)
            moved = None if problem is None else quarantine(path, self.data_dir, problem)
            self._audit = AuditTrail(path)
            if moved is not None:
                self.health.fault("audit_quarantined", f"{path.name}: {problem}; kept in {moved}")
                self._audit.record("audit.quarantined", "system", kept=str(moved))
        return self._audit

    def _use_hardware(self, hardware: Hardware, beacon: bool = False) -> None:
        """Make started hardware the running one; when that fails, it is stopped (never left running unowned).
        ``beacon``: safe mode's (``start_beacon``), which says nothing of whether the configuration runs."""
        from kiosk.safe_mode import CatalogUnavailable

        try:
            try:
                office = office_for(self.settings, self.catalog, hardware)
            except CatalogUnavailable:  # safe mode: no applications, but the heartbeat and fleet updates still run
                office = None
            self._hardware, self._office, self._beacon = hardware, office, beacon
            self.journey.attach(hardware.devices)
            self.hardware_changed.fire(hardware)
        except BaseException:
            if self._hardware is hardware:
                self._stop_hardware()
            else:
                hardware.stop()
            raise
        if self._fleet is not None and not beacon:
            self._fleet.hardware_started()  # the applied bundle runs: a later boot failure is not its fault

    def _stop_hardware(self) -> None:
        """Every consumer lets go first (the event), then the devices, simulators and outbox stop."""
        hardware, self._hardware, self._office, self._beacon = self._hardware, None, None, False
        if hardware is None:
            return
        self.journey.attach({})
        self.hardware_changed.fire(None)
        hardware.stop()

    def _restart_hardware(self) -> None:
        """Stop the running hardware and start it on the current settings; raises when it does not start (the
        fleet reverts the bundle that caused it)."""
        from kiosk.hardware import Hardware

        with self._hardware_lock:
            if not self._hardware_wanted:
                return  # not started (or closing): the next start reads the new settings
            log.info("device or platform settings changed: restarting the hardware")
            self._stop_hardware()
            self._use_hardware(Hardware.start(self.settings, self.data_dir, audit=self._open_audit(),
                                              devices=self.health.devices_allowed,
                                              outbox=self.health.devices_allowed))  # fmt: skip

    # -- configuration changes --------------------------------------------------------------
    def _start_fleet(self) -> None:
        from kiosk.fleet.updater import FleetUpdater, trail_audit

        self._fleet = FleetUpdater.from_settings(
            self.settings,
            self.data_dir,
            site_file=self.site_file,
            session_active=lambda: self.session_active,
            gate=self._session_gate,
            audit=trail_audit(lambda: self._audit),
            platform_check=lambda url: platform_answers(self.site_file, self.data_dir, url),
            on_applied=self.activate_bundle,
            on_reverted=self.activate_last_good,
        )
        self._fleet.start()

    def activate_bundle(self, _bundle: Bundle) -> None:
        """The fleet applied a bundle between sessions: use it now; raises when the hardware does not start on it."""
        with self._config_lock:
            self._reload()

    def activate_last_good(self) -> None:
        """The fleet reverted a bundle the kiosk could not run: back on the last good configuration."""
        with self._config_lock:
            self._reload()

    def _on_session_changed(self, active: bool) -> None:
        """A session ended: what waited for it applies now, off the resident's thread (a hardware restart takes
        a second or two); ``config_changed`` says when it is done."""
        if active:
            return
        if self._fleet is not None:
            self._fleet.session_ended()
        if self._reload_waiting:
            threading.Thread(target=self._reload_if_waiting, name="config-apply", daemon=True).start()

    def _reload_if_waiting(self) -> None:
        if self._reload_waiting:
            self.reload_config()

    def _site_file_stamp(self) -> bytes | None:
        try:
            return self.site_file.read_bytes() if self.site_file is not None else None
        except OSError:
            return None

    def check_site_file(self) -> bool:
        """A technician edited the site file: reload (waiting for the resident session to end). True if changed."""
        stamp = self._site_file_stamp()
        if stamp == self._site_stamp:
            return False
        self._site_stamp = stamp
        log.info("the site file changed: reloading the configuration")
        self.reload_config()
        return True

    def _watch_site_file(self) -> None:
        while not self._closing.wait(SITE_FILE_CHECK_S):
            try:
                self.check_site_file()
            except Exception:  # a reload that fails (the hardware) is logged; the next edit is tried again
                log.exception("the edited site file could not be applied")

    def reload_config(self) -> None:
        """Re-read every layer (an applied fleet bundle, an edited site file); restart the hardware when the
        device or platform settings changed. While a resident session is active this waits for it to end."""
        with self._session_gate, self._config_lock:
            if self.session_active:
                log.info("configuration change waits for the resident session to end")
                self._reload_waiting = True
                return
            self._reload_waiting = False
            self._reload()

    def _reload(self) -> None:
        from kiosk.config import load_settings
        from kiosk.fleet.applied import current_layer

        if not self.health.devices_allowed:  # safe mode on salvaged settings (a refused site file): start again
            self.config_changed.fire(self.config)
            return
        old = self.settings
        self.config = load_settings(site_file=self.site_file, remote=current_layer(self.data_dir),
                                    state_dir=self.data_dir / "state")  # fmt: skip
        new = self.settings
        self._catalog = None  # a bundle may carry a catalog: read again when next asked for
        clock.configure(new.kiosk.time_zone)
        self.assistance.counter_hours = new.service.counter_hours
        self.idle = IdleTimer(new.idle.timeout_s, new.idle.warning_s)
        self._apply_elder_timeouts()
        if old.devices != new.devices or old.platform != new.platform:
            self._restart_hardware()
        elif self._hardware is not None:  # same devices: the office takes the new settings and catalog
            self._office = office_for(new, self.catalog, self._hardware)
            if self._fleet is not None:
                self._fleet.hardware_started()
        elif self._hardware_wanted:  # the last start failed: these settings may fix it
            self._restart_hardware()
        self.config_changed.fire(self.config)

    def t(self, message: str | Message) -> str:
        """Translate a UI message id, or a core ``Text`` with its arguments, into the current language ("" stays
        "": gettext would return the header)."""
        return render(message, translator(self.language))

    def catalog_t(self, word: str) -> str:
        """A service catalog word a resident acts on (a form label or choice, 原件, 申请人自备) in the current
        language (kiosk.catalog.words); what is sent to the platform stays the catalog's Chinese."""
        return catalog_words_translator(self.language)(word) if word else ""

    # -- events ------------------------------------------------------------------------
    def subscribe(self, listener: Listener) -> Callable[[], None]:
        """Resident-facing events: ``journey`` (what the journey did), ``language``, ``elder_mode``."""
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

    def _card_grace_s(self) -> float:
        return CARD_GRACE_S * (self.settings.elder.timeout_factor if self.elder_mode else 1.0)

    def _apply_elder_timeouts(self) -> None:
        self.idle.set_factor(self.settings.elder.timeout_factor if self.elder_mode else 1.0)
        self.journey.card_grace_s = self._card_grace_s()
        self.journey.timeout_factor = self.settings.elder.timeout_factor if self.elder_mode else 1.0


def office_for(settings: Settings, catalog: Catalog, hardware: Hardware) -> ApplicationOffice | None:
    """Applications on the hardware's platform client, outbox and receipt printer (None without a platform)."""
    from kiosk.applications import ApplicationOffice
    from kiosk.workdays import holiday_tables

    if hardware.client is None or hardware.outbox is None:
        return None
    printer = cast("ThermalPrinter | None", hardware.devices.get("printer"))
    return ApplicationOffice(settings=settings, catalog=catalog, client=hardware.client, outbox=hardware.outbox,
                             printer=printer, holiday_tables=holiday_tables(hardware.data_dir))


def platform_answers(site_file: Path | None, data_dir: Path, url: str) -> bool:
    """The fleet's health check for a bundle that moves the platform: the gateway at ``url`` answers the
    credentials of the configuration under trial (the site file with the bundle just linked as current). True when
    it answered; raises (the reason, for the audit trail) when it did not. Needs no running hardware, so
    ``kiosk config pull --once`` and a kiosk whose devices are down check the same way."""
    from kiosk.config import load_settings
    from kiosk.fleet.applied import current_layer
    from kiosk.hardware import SIM, platform_token
    from kiosk.platform import PlatformClient

    if url == SIM:
        return True  # the simulator starts with the hardware: nothing to reach before
    settings = load_settings(site_file=site_file, remote=current_layer(data_dir)).settings

    client = PlatformClient(url, platform_token(settings, data_dir), settings.kiosk.id,
                            ca_bundle=settings.platform.ca_bundle or None)  # fmt: skip
    try:
        client.progress("HEALTH-CHECK-0")  # an unknown number: a 404 proves reachability and credentials
    finally:
        client.close()
    return True
