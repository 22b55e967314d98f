"""The platform heartbeat (contract §7): ``POST /v1/kiosks/{kiosk_id}/heartbeat`` every few seconds.

Body: ``at``, ``software_version``, ``config_version``, ``devices`` ({name: {state, ready, unstable, warnings}}
from the supervisor) and ``outbox_depth``, plus the health fields an operator acts on (``kiosk.health``: failed and
refused jobs, free disk, audit head, in or out of service and why, restarts, fleet refusals, printer paper).
A heartbeat that gets through means the network is back, so the outbox stops waiting out its back-off
(``outbox.kick()``). UI-free: a background thread, or ``send_once()`` from the staff menu's network check (which
reports the round-trip time).
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from kiosk import __version__, clock

if TYPE_CHECKING:
    from kiosk.core import Kiosk
    from kiosk.hardware import Hardware
    from kiosk.platform import PlatformClient
    from kiosk.platform.outbox import Outbox
    from kiosk.supervisor import Supervisor

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class HeartbeatResult:
    ok: bool
    latency_ms: float
    error: str = ""  # the exception's class and message when not ok (no personal data in either)
    at: str = ""


def config_version_of(data_dir: Path) -> str:
    """The applied fleet bundle's version, or ``local`` when the kiosk runs on packaged and site files only."""
    from kiosk.fleet.applied import applied_version

    version = applied_version(data_dir)
    return "local" if version is None else str(version)


class Heartbeat:
    def __init__(
        self,
        client: PlatformClient,
        supervisor: Supervisor | None = None,
        outbox: Outbox | None = None,
        *,
        interval_s: float = 60.0,
        config_version: Callable[[], str] = lambda: "local",
        software_version: str = __version__,
        health: Callable[[], dict[str, Any]] = dict,
        mirror: Callable[[dict[str, Any]], object] | None = None,  # kiosk.fleet.console_link.ConsoleLink.send
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.client = client
        self.supervisor = supervisor
        self.outbox = outbox
        self.interval_s = interval_s
        self.config_version = config_version
        self.software_version = software_version
        self.health = health
        self.mirror = mirror
        self._clock = clock
        self._stop = threading.Event()
        self._wake = threading.Event()
        self._thread: threading.Thread | None = None
        self._lock = threading.Lock()  # one heartbeat in flight at a time (thread and network check)
        self.last: HeartbeatResult | None = None

    def payload(self) -> dict[str, Any]:
        devices = self.supervisor.heartbeat() if self.supervisor is not None else {}
        depth = self.outbox.depth() if self.outbox is not None else 0
        return {
            "at": clock.now().isoformat(timespec="seconds"),
            "software_version": self.software_version,
            "config_version": self.config_version(),
            "devices": devices,
            "outbox_depth": depth,
            **self._health(),
        }

    def _health(self) -> dict[str, Any]:
        try:
            return self.health()
        except Exception:  # a broken part must not silence the heartbeat that could report it
            log.exception("health fields unavailable")
            return {}

    @classmethod
    def for_core(cls, core: Kiosk, hardware: Hardware, staff_closed: Callable[[], bool] = lambda: False,
                 mirror: Callable[[dict[str, Any]], object] | None = None) -> Heartbeat:  # fmt: skip
        """The running kiosk's heartbeat over ``hardware``'s platform client, with the core's health fields."""
        if hardware.client is None:
            raise ValueError("a heartbeat needs the hardware's platform client (started with delivery)")
        return cls(
            hardware.client, hardware.supervisor, hardware.outbox,
            interval_s=core.settings.service.heartbeat_interval_s,
            config_version=lambda: config_version_of(core.data_dir),
            health=lambda: {**core.health.report(hardware, staff_closed=staff_closed()),
                            **core.assistance.heartbeat_fields(),  # a resident's 呼叫工作人员
                            "applications_held": core.journey.held},  # kept in memory on a full disk
            mirror=mirror,
        )  # fmt: skip

    def send_once(self) -> HeartbeatResult:
        """Send one heartbeat now; kick the outbox when it got through."""
        with self._lock:
            body = self.payload()
            if self.mirror is not None:  # the fleet console, even while the platform is unreachable
                try:
                    self.mirror(body)
                except Exception:
                    log.exception("heartbeat to the fleet console failed")
            began = self._clock()
            try:
                self.client.heartbeat(**body)
            except Exception as error:  # every failure is a result here: the thread must keep beating
                result = HeartbeatResult(False, (self._clock() - began) * 1000, f"{type(error).__name__}: {error}",
                                         body["at"])  # fmt: skip
                log.warning("heartbeat failed: %s", result.error)
            else:
                result = HeartbeatResult(True, (self._clock() - began) * 1000, at=body["at"])
                if self.outbox is not None:
                    self.outbox.kick()
            self.last = result
            return result

    # -- the background thread -------------------------------------------------------------------
    def start(self) -> None:
        if self._thread is not None:
            return
        self._stop.clear()
        self._thread = threading.Thread(target=self._run, name="heartbeat", daemon=True)
        self._thread.start()

    def stop(self, timeout: float = 5.0) -> None:
        self._stop.set()
        self._wake.set()
        if self._thread is not None:
            self._thread.join(timeout)
            self._thread = None

    def beat_now(self) -> None:
        """Ask the thread for a heartbeat now (e.g. after a device changed state), without waiting for it."""
        self._wake.set()

    def _run(self) -> None:
        while not self._stop.is_set():
            self.send_once()
            self._wake.wait(self.interval_s)
            self._wake.clear()
