"""What the staff maintenance menu does, UI-free: every action checks and audits the staff session first.

The screens are a view over :class:`Maintenance`; tests and scripts call it directly. Device commands return the
contract's ``Command`` (the UI adds a done-callback and hops to its own thread); nothing here blocks on a device
except :meth:`Maintenance.network_check`, which the UI runs off its thread.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import os
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from drivers.printer.document import QR, KeyValue, Receipt, Section, Text
from kiosk import clock
from kiosk.logs import recent_lines
from kiosk.staff.session import Action, StaffSession

log = logging.getLogger(__name__)

SERVICE_FILE = "service-mode.json"
EXPORT_FOLDER = "exports"
USB_ROOTS = ("/media", "/run/media", "/mnt")  # where a desktop or udisks mounts a USB stick


class ServiceMode:
    """Out-of-service mode, persisted so a restart (or the watchdog) does not quietly reopen a broken kiosk."""

    def __init__(self, data_dir: Path) -> None:
        self._path = Path(data_dir) / SERVICE_FILE
        self._listeners: list[Callable[[bool], None]] = []
        try:
            self.out_of_service = bool(json.loads(self._path.read_text("utf-8"))["out_of_service"])
        except FileNotFoundError:
            self.out_of_service = False
        except (OSError, ValueError, KeyError, TypeError):
            log.warning("service mode file unreadable; staying in service")
            self.out_of_service = False

    def subscribe(self, listener: Callable[[bool], None]) -> None:
        self._listeners.append(listener)

    def set(self, out_of_service: bool) -> None:
        self.out_of_service = out_of_service
        self._path.parent.mkdir(parents=True, exist_ok=True)
        tmp = self._path.with_suffix(".tmp")
        with tmp.open("w", encoding="utf-8") as handle:
            json.dump({"out_of_service": out_of_service, "since": time.time()}, handle)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, self._path)
        for listener in list(self._listeners):
            try:
                listener(out_of_service)
            except Exception:
                log.exception("service mode listener failed")


@dataclass(frozen=True)
class ExportResult:
    path: Path
    count: int


def selftest_receipt(kiosk_id: str, now: dt.datetime | None = None) -> Receipt:
    """A test receipt: Chinese text, a key–value block and a native QR code; no personal data."""
    now = now or clock.now()
    return Receipt(
        "通办 打印自检",
        [
            Section("", [
                KeyValue("终端", kiosk_id),
                KeyValue("时间", now.strftime("%Y-%m-%d %H:%M:%S")),
                Text("汉字打印正常：通办二十四小时自助服务"),
                QR(f"TONGBAN-SELFTEST-{kiosk_id}-{now:%Y%m%d%H%M%S}", module=6, ec="M", caption="扫码检查二维码"),
            ]),
        ],
        footer=["打印自检结束"],
    )  # fmt: skip


def export_targets(data_dir: Path, roots: tuple[str, ...] = USB_ROOTS) -> list[Path]:
    """Writable mounted USB drives (``/media/<user>/<label>`` …), then ``<data-dir>/exports`` which always works."""
    found: list[Path] = []
    for root in roots:
        base = Path(root)
        if not base.is_dir():
            continue
        for candidate in sorted(base.glob("*")) + sorted(base.glob("*/*")):
            try:
                if candidate.is_dir() and os.path.ismount(candidate) and os.access(candidate, os.W_OK):
                    found.append(candidate)
            except OSError:
                continue
    return [*found, Path(data_dir) / EXPORT_FOLDER]


class Maintenance:
    """The staff menu's actions over the running kiosk's hardware (``kiosk.hardware.Hardware``)."""

    def __init__(
        self,
        settings: Any,
        data_dir: Path,
        hardware: Callable[[], Any] = lambda: None,
        *,
        heartbeat: Any = None,  # kiosk.heartbeat.Heartbeat
        receipts: Any = None,  # kiosk.recent_receipts.RecentReceipts
        service_mode: ServiceMode | None = None,
        fleet_status: Callable[[], dict[str, Any]] | None = None,
        usb_roots: tuple[str, ...] = USB_ROOTS,
    ) -> None:
        from kiosk.recent_receipts import RecentReceipts

        self.settings = settings
        self.data_dir = Path(data_dir)
        self._hardware = hardware  # the core's: read at each use, a hardware restart replaces it
        self.heartbeat = heartbeat
        self.receipts = receipts or RecentReceipts(self.data_dir, settings.service.reprint_keep_h * 3600)
        self.service_mode = service_mode or ServiceMode(self.data_dir)
        self.fleet_status = fleet_status or self._fleet_status
        self.usb_roots = usb_roots

    # -- helpers -------------------------------------------------------------------------------------
    @property
    def hardware(self) -> Any:
        """The running ``kiosk.hardware.Hardware`` (None while it is not started)."""
        return self._hardware()

    def device(self, name: str) -> Any:
        return None if self.hardware is None else self.hardware.devices.get(name)

    @property
    def supervisor(self) -> Any:
        return None if self.hardware is None else self.hardware.supervisor

    @property
    def outbox(self) -> Any:
        return None if self.hardware is None else self.hardware.outbox

    def _need(self, thing: Any, what: str) -> Any:
        if thing is None:
            raise LookupError(f"no {what} in this configuration")
        return thing

    # -- status board --------------------------------------------------------------------------------
    def status(self, session: StaffSession) -> list[Any]:
        """Every device's health (``kiosk.supervisor.DeviceHealth``); viewing is not audited, only allowed."""
        session.touch()
        if not session.can(Action.VIEW_STATUS):
            session.authorize(Action.VIEW_STATUS)  # raises and audits the denial
        return [] if self.supervisor is None else self.supervisor.snapshot()

    # -- self-tests ----------------------------------------------------------------------------------
    def print_test(self, session: StaffSession) -> Any:
        session.authorize(Action.DEVICE_SELFTEST, device="printer", test="print")
        printer = self._need(self.device("printer"), "printer")
        return printer.print_receipt(selftest_receipt(self.settings.kiosk.id), timeout=30)

    def read_card_test(self, session: StaffSession, device: str = "idcard", timeout: float = 15.0) -> Any:
        """Read one card; the completion's value is an Identity (show only masked forms of it)."""
        session.authorize(Action.DEVICE_SELFTEST, device=device, test="read")
        reader = self._need(self.device(device), device)
        return reader.read_card(timeout=timeout) if hasattr(reader, "read_card") else reader.read(timeout=timeout)

    def camera(self, session: StaffSession) -> Any:
        session.authorize(Action.DEVICE_SELFTEST, device="camera", test="preview")
        return self._need(self.device("camera"), "camera")

    def paper_replaced(self, session: StaffSession, printer: str = "printer") -> None:
        session.authorize(Action.PAPER_REPLACED, device=printer)
        self._need(self.supervisor, "device supervisor").paper_replaced(printer, actor=session.member_id)

    # -- service mode --------------------------------------------------------------------------------
    def set_out_of_service(self, session: StaffSession, out_of_service: bool) -> None:
        session.authorize(Action.OUT_OF_SERVICE, out_of_service=out_of_service)
        self.service_mode.set(out_of_service)

    # -- outbox --------------------------------------------------------------------------------------
    def outbox_jobs(self, session: StaffSession) -> tuple[list[Any], list[Any]]:
        """(pending, failed-permanent) jobs as ``JobInfo`` (no personal data)."""
        session.touch()
        if not session.can(Action.OUTBOX):
            session.authorize(Action.OUTBOX)
        outbox = self.outbox
        return ([], []) if outbox is None else (outbox.pending(), outbox.failed())

    def retry(self, session: StaffSession, job_id: int) -> None:
        session.authorize(Action.OUTBOX, op="retry", job=job_id)
        self._need(self.outbox, "outbox").retry(job_id)

    def export_targets(self) -> list[Path]:
        return export_targets(self.data_dir, self.usb_roots)

    def export_failed(self, session: StaffSession, folder: Path | None = None) -> ExportResult:
        """Write the failed jobs (decrypted, 0600) to a USB drive if one is mounted, else ``<data-dir>/exports``."""
        folder = Path(folder) if folder is not None else self.export_targets()[0]
        session.authorize(Action.OUTBOX, op="export", usb=folder.parent != self.data_dir)
        folder.mkdir(parents=True, exist_ok=True)
        path = folder / f"outbox-failed-{self.settings.kiosk.id}-{clock.now():%Y%m%d-%H%M%S}.json"
        count = self._need(self.outbox, "outbox").export_failed(path)
        return ExportResult(path, count)

    # -- reprint -------------------------------------------------------------------------------------
    def recent_receipts(self, session: StaffSession) -> list[Any]:
        session.touch()
        if not session.can(Action.REPRINT):
            session.authorize(Action.REPRINT)
        return self.receipts.recent()

    def reprint(self, session: StaffSession, reference: str) -> Any:
        session.authorize(Action.REPRINT, reference=reference)
        document = self.receipts.reprint(reference)
        return self._need(self.device("printer"), "printer").print_receipt(document, timeout=30)

    # -- information ---------------------------------------------------------------------------------
    def config_status(self, session: StaffSession) -> dict[str, Any]:
        session.touch()
        return self.fleet_status()

    def _fleet_status(self) -> dict[str, Any]:
        """Without a running updater (fleet updates off): the applied version, and the result of the last
        ``kiosk config pull`` if one ran, read through a non-started updater."""
        from kiosk.fleet.updater import FleetUpdater
        from kiosk.heartbeat import config_version_of

        result = None
        if self.settings.fleet.repo_url:
            try:
                result = FleetUpdater.from_settings(self.settings, self.data_dir).status()["config_result"]
            except Exception:  # unreadable state: show the version alone
                log.info("no fleet update result available", exc_info=True)
        return {"config_version": config_version_of(self.data_dir), "config_result": result}

    def log_lines(self, session: StaffSession, count: int = 60) -> list[str]:
        session.authorize(Action.VIEW_LOGS, count=count)
        return [line.rstrip("\n") for line in recent_lines(self.data_dir / "logs", count)]

    def network_check(self, session: StaffSession) -> Any:
        """One heartbeat now (an authenticated, cheap call): ``HeartbeatResult(ok, latency_ms, error)``. Blocks."""
        session.authorize(Action.NETWORK_CHECK)
        return self._need(self.heartbeat, "platform connection").send_once()

    def restart(self, session: StaffSession) -> None:
        session.authorize(Action.RESTART_APP)

    def exit_to_desktop(self, session: StaffSession) -> None:
        session.authorize(Action.EXIT_TO_DESKTOP)
