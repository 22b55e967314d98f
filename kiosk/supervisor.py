"""The device supervisor: one health model for every device, for the staff status board, the
heartbeat and ``kiosk selftest``.

It listens to each ``drivers.contract.Device``'s events (reconnecting with back-off is the device's
own job), and turns them into :class:`StatusChange` notifications for its listeners:

- a device that flaps (``flap_limit`` drops — falls from ready to not ready — within ``flap_window_s``) is
  reported once as *unstable*, then nothing more until it has been quiet for a whole window (*settled*).
  Drops are counted, not state changes: one unplug and replug passes through several states
  (online → no_device → offline → online) and is one drop, a fault reported as it is, never "flapping";
- faults and recoveries, instability and paper warnings go to the audit trail;
- paper warnings come before the paper runs out: from the printer's near-end sensor (status field
  ``paper == "near_end"`` or ``paper_near_end``) and from an estimate of paper used since the roll was
  replaced (counter ``paper_mm`` against ``paper_roll_mm``), since many sensors trip late or not at all;
- counters are seeded from, and saved to, ``device-counters.json`` in the data folder, so they
  survive restarts; "paper replaced" resets the paper counter.

Events arrive on device worker threads; listeners are called on that thread (or on the caller's
thread for ``tick``/``paper_replaced``), so a UI listener hands over with ``Clock.schedule_once``.
"""

from __future__ import annotations

import json
import logging
import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from drivers.contract import Device, DeviceEvent, DeviceState
from kiosk.atomic import write_atomic
from kiosk.audit import AuditTrail
from kiosk.logs import redact

log = logging.getLogger(__name__)

COUNTERS_FILE = "device-counters.json"
READY_STATES = frozenset({DeviceState.ONLINE, DeviceState.BUSY})
FAULT_STATES = frozenset({DeviceState.NO_DEVICE, DeviceState.HARDWARE_ERROR, DeviceState.USER_ERROR})
PAPER_NEAR_END = "paper_near_end"  # the printer's sensor says so
PAPER_ESTIMATE_LOW = "paper_estimate_low"  # paper used since replacement nears the roll length
PAPER_OUT = "paper_out"


@dataclass(frozen=True)
class DeviceHealth:
    name: str
    device_class: str
    state: DeviceState
    required: bool
    detail: str = ""
    unstable: bool = False
    last_error: str = ""  # "hardware_error: no answer", already free of personal data
    last_error_at: float | None = None  # wall-clock seconds
    since: float | None = None  # wall-clock seconds of the last state change
    counters: dict[str, int] = field(default_factory=dict)
    warnings: tuple[str, ...] = ()
    fields: dict[str, Any] = field(default_factory=dict)

    @property
    def ready(self) -> bool:
        return self.state in READY_STATES and not self.unstable

    def to_json(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "class": self.device_class,
            "state": str(self.state),
            "ready": self.ready,
            "required": self.required,
            "detail": self.detail,
            "unstable": self.unstable,
            "last_error": self.last_error,
            "last_error_at": self.last_error_at,
            "since": self.since,
            "counters": dict(self.counters),
            "warnings": list(self.warnings),
        }


@dataclass(frozen=True)
class StatusChange:
    """``kind``: "state" (a reported state change), "unstable", "settled", "warning" (the warnings changed)."""

    kind: str
    health: DeviceHealth
    previous_state: DeviceState | None = None


@dataclass(frozen=True)
class Readiness:
    devices: tuple[DeviceHealth, ...]

    @property
    def ready(self) -> bool:
        return all(d.ready for d in self.devices if d.required)

    @property
    def not_ready(self) -> list[str]:
        return [d.name for d in self.devices if d.required and not d.ready]

    def to_json(self) -> dict[str, Any]:
        return {"ready": self.ready, "not_ready": self.not_ready, "devices": [d.to_json() for d in self.devices]}


Listener = Callable[[StatusChange], None]


@dataclass
class _Tracked:
    device: Device
    required: bool
    state: DeviceState
    detail: str
    fields: dict[str, Any]
    unsubscribe: Callable[[], None]
    since: float | None = None
    reported_state: DeviceState | None = None  # what listeners were last told (frozen while unstable)
    last_error: str = ""
    last_error_at: float | None = None
    unstable: bool = False
    changes: deque[float] = field(default_factory=deque)  # monotonic times of recent drops (ready → not ready)
    warnings: frozenset[str] = frozenset()


class Supervisor:
    def __init__(
        self,
        data_dir: Path | None,
        audit: AuditTrail | None = None,
        *,
        clock: Callable[[], float] = time.monotonic,
        wall_clock: Callable[[], float] = time.time,
        flap_window_s: float = 60.0,
        flap_limit: int = 3,
        paper_counter: str = "paper_mm",
        paper_roll_mm: int | None = None,
        paper_warn_remaining_mm: int = 3000,
        save_interval_s: float = 10.0,
    ) -> None:
        if flap_limit < 2:
            raise ValueError("flap_limit must be at least 2")
        self._path = None if data_dir is None else Path(data_dir) / COUNTERS_FILE
        self._audit = audit
        self._clock = clock
        self._wall = wall_clock
        self.flap_window_s = flap_window_s
        self.flap_limit = flap_limit
        self.paper_counter = paper_counter
        self.paper_roll_mm = paper_roll_mm
        self.paper_warn_remaining_mm = paper_warn_remaining_mm
        self.save_interval_s = save_interval_s
        self._devices: dict[str, _Tracked] = {}
        self._listeners: list[Listener] = []
        self._lock = threading.RLock()
        self._stored = self._load()
        self._saved: dict[str, dict[str, int]] = {}
        self._last_save = clock()

    # -- registration --------------------------------------------------------------------------------
    def add(self, device: Device, required: bool) -> None:
        """Watch ``device`` (opened or not); its persisted counters are merged into ``device.counters``."""
        with self._lock:
            if device.name in self._devices:
                raise ValueError(f"a device named {device.name!r} is already supervised")
            for name, value in self._stored.get(device.name, {}).items():
                device.counters.add(name, value)
            # Subscribe before reading the status: an event racing with this waits on our lock and then
            # finds the entry, so no change falls between the two.
            unsubscribe = device.subscribe(self._on_event)
            status = device.status()
            tracked = _Tracked(device, required, status.state, redact(status.detail), dict(status.fields), unsubscribe)
            tracked.reported_state = status.state
            tracked.since = self._wall()
            tracked.warnings = self._paper_warnings(tracked)
            self._devices[device.name] = tracked

    def subscribe(self, listener: Listener) -> Callable[[], None]:
        with self._lock:
            self._listeners.append(listener)

        def unsubscribe() -> None:
            with self._lock:
                if listener in self._listeners:
                    self._listeners.remove(listener)

        return unsubscribe

    def close(self) -> None:
        """Stop listening and save the counters (the devices themselves are closed by their owner)."""
        with self._lock:
            for tracked in self._devices.values():
                tracked.unsubscribe()
        self.save()

    # -- reading -------------------------------------------------------------------------------------
    def health(self, name: str) -> DeviceHealth:
        with self._lock:
            return self._health(self._devices[name])

    def snapshot(self) -> list[DeviceHealth]:
        with self._lock:
            return [self._health(t) for t in self._devices.values()]

    def overall(self) -> Readiness:
        """Is every required device ready? The answer ``kiosk selftest`` gives (exit 0 only when ready)."""
        self.tick()
        return Readiness(tuple(self.snapshot()))

    def heartbeat(self) -> dict[str, dict[str, Any]]:
        """The ``devices`` object of the platform heartbeat."""
        return {
            h.name: {"state": str(h.state), "ready": h.ready, "unstable": h.unstable, "warnings": list(h.warnings)}
            for h in self.snapshot()
        }

    # -- actions -------------------------------------------------------------------------------------
    def paper_replaced(self, name: str = "printer", actor: str = "staff") -> None:
        """A new roll: the paper counter starts again and the estimate warning clears."""
        with self._lock:
            tracked = self._devices[name]
            used = tracked.device.counters.snapshot().get(self.paper_counter, 0)
            tracked.device.counters.reset(self.paper_counter)
        self._audit_record("device.paper_replaced", actor, device=name, paper_used_mm=used)
        self._refresh_warnings(tracked)
        self.save()

    def tick(self) -> None:
        """Call about once a second (UI clock or heartbeat): settles quiet devices, checks the paper
        estimate and saves changed counters every ``save_interval_s``."""
        with self._lock:
            tracked_all = list(self._devices.values())
        for tracked in tracked_all:
            self._settle(tracked)
            self._refresh_warnings(tracked)
        if self._clock() - self._last_save >= self.save_interval_s:
            self.save()

    def save(self) -> None:
        with self._lock:
            counters = {**self._stored, **{n: t.device.counters.snapshot() for n, t in self._devices.items()}}
            self._last_save = self._clock()
            if counters == self._saved or self._path is None:
                return
            self._saved = counters
        self._write(counters)

    # -- events --------------------------------------------------------------------------------------
    def _on_event(self, event: DeviceEvent) -> None:
        with self._lock:
            tracked = self._devices.get(event.device)
        if tracked is None:
            return
        if event.kind == "error":
            with self._lock:
                tracked.last_error = redact(str(event.payload.get("detail") or event.payload.get("code") or "error"))
                tracked.last_error_at = self._wall()
            return
        if event.kind != "status":
            return
        changed = dict(event.payload.get("changed", {}))
        new_state = DeviceState(event.payload.get("state", tracked.state))
        detail = redact(str(event.payload.get("detail", "")))
        changes: list[StatusChange] = []
        audits: list[tuple[str, dict[str, Any]]] = []
        with self._lock:
            changed.pop("state", None)
            tracked.fields.update(changed)
            tracked.detail = detail
            if new_state is not tracked.state:
                now = self._clock()
                dropped = tracked.state in READY_STATES and new_state not in READY_STATES
                tracked.state = new_state
                tracked.since = self._wall()
                if new_state in FAULT_STATES:
                    tracked.last_error = f"{new_state}: {detail}" if detail else str(new_state)
                    tracked.last_error_at = tracked.since
                if dropped:
                    tracked.changes.append(now)
                while tracked.changes and now - tracked.changes[0] > self.flap_window_s:
                    tracked.changes.popleft()
                if tracked.unstable:
                    pass  # already reported; the board still shows the live state
                elif len(tracked.changes) >= self.flap_limit:
                    tracked.unstable = True
                    changes.append(StatusChange("unstable", self._health(tracked), tracked.reported_state))
                    audits.append(("device.unstable", {"changes": len(tracked.changes), "state": str(new_state)}))
                else:
                    previous, tracked.reported_state = tracked.reported_state, new_state
                    changes.append(StatusChange("state", self._health(tracked), previous))
                    audits.extend(self._fault_audit(previous, new_state, detail))
        self._settle(tracked)
        self._dispatch(tracked.device.name, changes, audits)
        self._refresh_warnings(tracked)

    def _fault_audit(
        self, previous: DeviceState | None, new: DeviceState, detail: str
    ) -> list[tuple[str, dict[str, Any]]]:
        if new in FAULT_STATES:
            return [("device.fault", {"state": str(new), "detail": detail})]
        if new in READY_STATES and previous in FAULT_STATES:
            return [("device.recovered", {"state": str(new), "after": str(previous)})]
        return []

    def _settle(self, tracked: _Tracked) -> None:
        with self._lock:
            if not tracked.unstable:
                return
            if tracked.changes and self._clock() - tracked.changes[-1] < self.flap_window_s:
                return
            tracked.unstable = False
            tracked.changes.clear()
            previous, tracked.reported_state = tracked.reported_state, tracked.state
            change = StatusChange("settled", self._health(tracked), previous)
        audits = [("device.settled", {"state": str(tracked.state)})]
        audits.extend(self._fault_audit(previous, tracked.state, tracked.detail))
        self._dispatch(tracked.device.name, [change], audits)

    def _paper_warnings(self, tracked: _Tracked) -> frozenset[str]:
        fields = tracked.fields
        warnings = set()
        if fields.get("paper") in ("end", "out") or fields.get("paper_out") is True:
            warnings.add(PAPER_OUT)
        elif fields.get("paper") == "near_end" or fields.get(PAPER_NEAR_END) is True:
            warnings.add(PAPER_NEAR_END)
        if self.paper_roll_mm is not None and self.paper_counter in tracked.device.counters.snapshot():
            used = tracked.device.counters.snapshot()[self.paper_counter]
            if used >= self.paper_roll_mm - self.paper_warn_remaining_mm:
                warnings.add(PAPER_ESTIMATE_LOW)
        return frozenset(warnings)

    def _refresh_warnings(self, tracked: _Tracked) -> None:
        with self._lock:
            warnings = self._paper_warnings(tracked)
            if warnings == tracked.warnings:
                return
            raised = sorted(warnings - tracked.warnings)
            tracked.warnings = warnings
            change = StatusChange("warning", self._health(tracked), tracked.reported_state)
        audits: list[tuple[str, dict[str, Any]]] = []
        if raised:
            counters = tracked.device.counters.snapshot()
            audits.append(("device.warning", {"warnings": raised, "paper_used_mm": counters.get(self.paper_counter)}))
        self._dispatch(tracked.device.name, [change], audits)

    # -- plumbing ------------------------------------------------------------------------------------
    def _health(self, tracked: _Tracked) -> DeviceHealth:
        return DeviceHealth(
            name=tracked.device.name,
            device_class=tracked.device.device_class,
            state=tracked.state,
            required=tracked.required,
            detail=tracked.detail,
            unstable=tracked.unstable,
            last_error=tracked.last_error,
            last_error_at=tracked.last_error_at,
            since=tracked.since,
            counters=tracked.device.counters.snapshot(),
            warnings=tuple(sorted(tracked.warnings)),
            fields=dict(tracked.fields),
        )

    def _dispatch(self, device: str, changes: list[StatusChange], audits: list[tuple[str, dict[str, Any]]]) -> None:
        for kind, fields in audits:
            self._audit_record(kind, "system", device=device, **fields)
        with self._lock:
            listeners = list(self._listeners)
        for change in changes:
            for listener in listeners:
                try:
                    listener(change)
                except Exception:  # one broken listener must not starve the others or the device
                    log.exception("supervisor listener failed on %s %s", device, change.kind)

    def _audit_record(self, kind: str, actor: str, **fields: Any) -> None:
        if self._audit is None:
            return
        try:
            self._audit.record(kind, actor, **fields)
        except Exception:  # losing one audit line must not take the device supervision down
            log.exception("could not audit %s", kind)

    def _load(self) -> dict[str, dict[str, int]]:
        if self._path is None or not self._path.exists():
            return {}
        try:
            data = json.loads(self._path.read_text("utf-8"))
            return {
                str(name): {str(k): int(v) for k, v in values.items() if isinstance(v, int) and v >= 0}
                for name, values in data.items()
                if isinstance(values, dict)
            }
        except (OSError, ValueError, AttributeError):
            log.warning("device counters file %s unreadable; counting from zero", self._path)
            return {}

    def _write(self, counters: dict[str, dict[str, int]]) -> None:
        assert self._path is not None
        try:  # a crash or a full disk leaves the old file
            write_atomic(self._path, json.dumps(counters, sort_keys=True, indent=1).encode())
        except OSError as error:
            log.error("could not save device counters to %s: %s", self._path, error.strerror or error)
