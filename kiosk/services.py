"""What the resident-facing screens talk to: the catalog and its search index, the journey, the devices, voice.

Built once per app from the core. Devices are attached by role (``idcard``, ``sscard``, ``camera``, ``printer``);
the screens decide what to offer from each device's status and capabilities, never from its name or class.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from drivers.contract import Device, DeviceState
from kiosk.journey import Journey
from kiosk.voice import VoiceGuide

log = logging.getLogger(__name__)

READY_STATES = (DeviceState.ONLINE, DeviceState.BUSY)


class Indexing:
    """The catalog's search index, built on a worker thread once ``start()`` is called: the app calls it after its
    first frame, because pypinyin's tables and the index take about half a second the home screen does not need.
    ``get()`` waits for the build (starting it if nobody did), so the first search finds it ready or nearly so."""

    def __init__(self, build: Callable[[], Any]) -> None:
        self._build = build
        self._lock = threading.Lock()
        self._thread: threading.Thread | None = None
        self._index: Any = None
        self._error: BaseException | None = None

    def start(self) -> None:
        with self._lock:
            if self._thread is None:
                self._thread = threading.Thread(target=self._run, name="search-index", daemon=True)
                self._thread.start()

    def _run(self) -> None:
        try:
            self._index = self._build()
        except BaseException as error:  # raised again to whoever needs the index
            log.exception("the search index could not be built")
            self._error = error

    def get(self) -> Any:
        self.start()
        assert self._thread is not None
        self._thread.join()
        if self._error is not None:
            raise self._error
        return self._index


@dataclass
class Services:
    catalog: Any  # kiosk.catalog.Catalog
    indexing: Indexing  # the kiosk.catalog.SearchIndex, built after the first frame
    journey: Journey
    voice: VoiceGuide
    devices: dict[str, Device] = field(default_factory=dict)

    @property
    def index(self) -> Any:
        return self.indexing.get()

    def device(self, role: str) -> Device | None:
        return self.devices.get(role)

    def ready(self, role: str, capability: str | None = None) -> bool:
        """The device is there, online, and (if named) has the capability."""
        device = self.devices.get(role)
        if device is None or device.status().state not in READY_STATES:
            return False
        return capability is None or bool(device.capabilities().get(capability))

    def printer_can_print(self) -> bool:
        """Online with paper: near end still prints, end or an open cover do not."""
        device = self.devices.get("printer")
        if device is None:
            return False
        status = device.status()
        if status.state not in READY_STATES:
            return False
        return status.fields.get("paper", "ok") in ("ok", "near_end") and not status.fields.get("cover_open")

    def use_hardware(self, hardware: Any) -> None:
        """The configured devices and the platform of a started ``kiosk.hardware.Hardware``."""
        self.devices.update(hardware.devices)
        if hardware.client is not None:
            self.journey.apps = application_services(self.catalog, hardware)
        self.refresh_degraded()

    def refresh_degraded(self) -> None:
        """Tell the journey what the devices allow now."""
        self.journey.camera_ok = self.ready("camera", "document")
        self.journey.printer_ok = self.printer_can_print()


def application_services(catalog: Any, hardware: Any):
    """``kiosk.applications.Services`` on the hardware's platform client, outbox and receipt printer."""
    from kiosk.applications import Services as ApplicationServices

    return ApplicationServices(settings=hardware.settings, catalog=catalog, client=hardware.client,
                               outbox=hardware.outbox, printer=hardware.devices.get("printer"),
                               holiday_tables=holiday_tables(hardware.data_dir))


def holiday_tables(data_dir: Path) -> dict[int, Any]:
    """Packaged holiday tables, with the applied fleet bundle's tables replacing them year by year."""
    from kiosk.fleet.applied import applied_holidays
    from kiosk.paths import config_dir
    from kiosk.workdays import load_tables

    return {**load_tables(config_dir() / "holidays"), **applied_holidays(data_dir)}


def build_services(core: Any, devices: dict[str, Device] | None = None) -> Services:
    """The screens' services; with ``core.hardware`` started (kiosk run, kiosk demo) its devices and platform."""
    from kiosk.safe_mode import usable_catalog

    # A fleet bundle's catalog (checked to load before it was applied) wins over the packaged one; one that no
    # longer loads gives way to the last good one (raises CatalogUnavailable when none loads: safe mode).
    catalog = usable_catalog(core.data_dir, core.health.fault)

    def index() -> Any:
        from kiosk.catalog.search import SearchIndex
        from kiosk.catalog.uses import FILE_NAME, UseCounts

        return SearchIndex(catalog, uses=UseCounts(core.data_dir / FILE_NAME))  # ranking by use survives restarts

    journey = Journey(None, core.emit, kiosk_id=core.settings.kiosk.id,
                      card_grace_s=15.0 * (core.settings.elder.timeout_factor if core.elder_mode else 1.0))
    services = Services(catalog, Indexing(index), journey, VoiceGuide(core.data_dir / "voice"), dict(devices or {}))
    if core.hardware is not None and devices is None:
        services.use_hardware(core.hardware)
    services.refresh_degraded()
    return services
