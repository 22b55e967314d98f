"""What an operator needs to act on a kiosk from afar (issue 17): the heartbeat's health fields, the start-up faults
the kiosk survived, and whether it is in service.

``Health`` is owned by the core (``Kiosk.health``). Start-up code reports what it had to work around
(``fault``: a quarantined outbox, a fallback font, a last-good catalog) and what keeps the kiosk from serving at
all (``out_of_service``: safe mode). ``report`` builds the heartbeat fields from the running parts:

- ``jobs_failed`` — applications/evaluations the platform refused for good (kept for staff); ``jobs_refused`` —
  pending jobs held while the platform refuses the kiosk's credentials (``outbox_alarm`` says why);
- ``disk_free_mb`` of the data folder's filesystem; ``audit_head`` ({seq, hash}) of the audit trail;
- ``in_service`` and ``service_reason`` ("" in service; "staff" when staff closed it; the safe-mode reason);
- ``restarts`` since the machine booted (by ``/proc/sys/kernel/random/boot_id``) and ``last_start_fault``;
- ``fleet``: the last refused and the last reverted bundle; ``printer``: paper state and counters.

State lives in ``<data_dir>/state/starts.json`` (written atomically; a full disk loses only this bookkeeping).
"""

from __future__ import annotations

import json
import logging
import os
import shutil
import threading
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from kiosk import clock

log = logging.getLogger(__name__)

STARTS_FILE = "starts.json"
BOOT_ID = Path("/proc/sys/kernel/random/boot_id")
PAPER_WARNINGS = {"paper_out": "out", "paper_near_end": "near_end", "paper_estimate_low": "near_end"}


def now_iso() -> str:
    return clock.now().isoformat(timespec="seconds")


@dataclass(frozen=True)
class StartFault:
    """Something start-up had to work around or could not: ``code`` for machines, ``detail`` for people."""

    code: str  # e.g. outbox_quarantined, font_fallback, catalog_fallback, site_file_refused, hardware_failed
    detail: str
    at: str


def boot_id() -> str:
    try:
        return BOOT_ID.read_text("ascii").strip()
    except OSError:
        return ""


def disk_free_mb(path: Path) -> int | None:
    try:
        return shutil.disk_usage(path).free // (1024 * 1024)
    except OSError:
        return None


class Health:
    def __init__(self, data_dir: Path) -> None:
        self.data_dir = Path(data_dir)
        self.restarts = 0
        self.faults: list[StartFault] = []
        self.last_start_fault: StartFault | None = None
        self.unserviceable: str | None = None  # safe mode: why the kiosk cannot serve residents
        self.reason_code = ""  # safe mode's fault code, shown small on the out-of-service screen
        self.hardware_allowed = True  # False: safe mode starts no devices, platform or fleet updater
        self.devices_allowed = True  # False: safe mode starts only the platform client (heartbeat) and fleet updater
        self._lock = threading.Lock()
        self._state = self._read()
        saved = self._state.get("last_start_fault")
        if isinstance(saved, dict):
            try:
                self.last_start_fault = StartFault(**saved)
            except TypeError:
                pass

    @property
    def _path(self) -> Path:
        return self.data_dir / "state" / STARTS_FILE

    def record_start(self) -> int:
        """Count this start (``kiosk run``); returns the restarts since boot before it."""
        with self._lock:
            booted = boot_id()
            starts = int(self._state.get("starts", 0)) + 1 if self._state.get("boot_id") == booted else 1
            self._state.update(boot_id=booted, starts=starts)
            self._write()
        self.restarts = starts - 1
        return self.restarts

    def fault(self, code: str, detail: str) -> StartFault:
        """A start-up fault the kiosk worked around (or, with ``out_of_service``, could not)."""
        fault = StartFault(code, detail[:500], now_iso())
        log.error("start-up fault %s: %s", code, detail)
        with self._lock:
            self.faults.append(fault)
            self.last_start_fault = fault
            self._state["last_start_fault"] = asdict(fault)
            self._write()
        return fault

    def out_of_service(self, code: str, detail: str, *, hardware: bool = True, devices: bool = True) -> None:
        """Safe mode: the kiosk cannot serve; it stays up (watchdog fed, fleet updates running) and says why.
        ``hardware=False`` when nothing can start (no data folder); ``devices=False`` when starting the configured
        devices and outbox would pretend to serve (a refused site file: the packaged defaults are simulators as
        K0001) — only the platform client for the heartbeat and the fleet updater start."""
        self.fault(code, detail)
        self.unserviceable = f"{code}: {detail}"[:500]
        self.reason_code = code
        self.hardware_allowed = self.hardware_allowed and hardware
        self.devices_allowed = self.devices_allowed and devices

    @property
    def known_kiosk_id(self) -> str | None:
        """The kiosk id this data folder last ran as on an accepted site file (``remember_kiosk_id``)."""
        known = self._state.get("kiosk_id")
        return known if isinstance(known, str) else None

    def remember_kiosk_id(self, kiosk_id: str) -> None:
        """Kept so a later start whose site file is refused still heartbeats under the kiosk's own id."""
        if self._state.get("kiosk_id") != kiosk_id:
            with self._lock:
                self._state["kiosk_id"] = kiosk_id
                self._write()

    def back_in_service(self) -> None:
        """The fault cleared (the hardware started on a retry)."""
        log.info("back in service after %s", self.reason_code)
        self.unserviceable = None
        self.reason_code = ""

    @property
    def in_service(self) -> bool:
        return self.unserviceable is None

    # -- the heartbeat ---------------------------------------------------------------------------
    def report(self, hardware: Any = None, *, staff_closed: bool = False) -> dict[str, Any]:
        """The heartbeat's health fields from ``hardware`` (kiosk.hardware.Hardware, or None in safe mode)."""
        outbox = getattr(hardware, "outbox", None)
        audit = getattr(hardware, "audit", None)
        reason = self.unserviceable or ("staff" if staff_closed else "")
        fields: dict[str, Any] = {
            "in_service": not reason,
            "service_reason": reason,
            "restarts": self.restarts,
            "last_start_fault": None if self.last_start_fault is None else asdict(self.last_start_fault),
            "disk_free_mb": disk_free_mb(self.data_dir),
            "fleet": fleet_events(self.data_dir),
            **outbox_health(outbox),
            "audit_head": audit_head(audit),
            "printer": printer_health(hardware),
        }
        return fields

    # -- state file --------------------------------------------------------------------------------
    def _read(self) -> dict[str, Any]:
        try:
            data = json.loads(self._path.read_text("utf-8"))
        except (OSError, ValueError):
            return {}
        return data if isinstance(data, dict) else {}

    def _write(self) -> None:
        try:
            self._path.parent.mkdir(parents=True, exist_ok=True)
            tmp = self._path.with_name(f".{STARTS_FILE}.tmp")
            tmp.write_text(json.dumps(self._state, ensure_ascii=False, sort_keys=True), "utf-8")
            os.replace(tmp, self._path)
        except OSError as error:  # a full disk: the counters are bookkeeping, the kiosk goes on
            log.warning("could not save %s: %s", self._path.name, error)


def outbox_health(outbox: Any) -> dict[str, Any]:
    if outbox is None:
        return {"jobs_failed": 0, "jobs_refused": 0, "outbox_alarm": None}
    alarm = outbox.alarm
    try:
        failed = len(outbox.failed())
        refused = outbox.depth() if alarm else 0
    except Exception as error:  # a closed or broken database must not stop the heartbeat that reports it
        log.warning("outbox health unavailable: %s", error)
        failed, refused = 0, 0
    return {"jobs_failed": failed, "jobs_refused": refused, "outbox_alarm": alarm}


def audit_head(audit: Any) -> dict[str, Any] | None:
    if audit is None:
        return None
    try:
        seq, digest = audit.head()
    except Exception as error:
        log.warning("audit head unavailable: %s", error)
        return None
    return {"seq": int(seq), "hash": str(digest)}


def fleet_events(data_dir: Path) -> dict[str, Any]:
    """The last refused and the last reverted bundle (kiosk.fleet.updater keeps them in fleet/state.json)."""
    from kiosk.fleet.applied import fleet_dir

    try:
        state = json.loads((fleet_dir(data_dir) / "state.json").read_text("utf-8"))
    except (OSError, ValueError):
        state = {}
    return {"last_refusal": state.get("last_refusal"), "last_revert": state.get("last_revert")}


def printer_health(hardware: Any) -> dict[str, Any]:
    printer = getattr(hardware, "devices", {}).get("printer") if hardware is not None else None
    supervisor = getattr(hardware, "supervisor", None)
    if printer is None:
        return {"paper": "unknown", "counters": {}}
    warnings: list[str] = []
    if supervisor is not None:
        warnings = list(supervisor.heartbeat().get(getattr(printer, "name", "printer"), {}).get("warnings", []))
    status = printer.status()
    states = [PAPER_WARNINGS[w] for w in warnings if w in PAPER_WARNINGS]
    states += [{"end": "out", "near_end": "near_end"}.get(str(status.fields.get("paper")), "ok")]
    paper = "out" if "out" in states else "near_end" if "near_end" in states else "ok"
    if paper == "ok" and str(status.state) in ("no_device", "offline"):
        paper = "unknown"  # a printer that does not answer says nothing about its paper
    return {"paper": paper, "counters": dict(printer.counters.snapshot())}
