"""The headline field failure (issue 17): under the shipped unit a healthy kiosk must feed systemd's watchdog,
and a kiosk whose UI loop froze must not. ``kiosk run`` runs as this test's grandchild under a compositor stand-in,
with ``WATCHDOG_PID`` = this process's PID, ``WATCHDOG_USEC`` from the unit's ``WatchdogSec=``."""

from __future__ import annotations

import itertools
import os
import signal

import pytest

from tests.field.harness import Message, Service, ping

pytestmark = pytest.mark.slow


def gaps(start: float, pings: list[Message]) -> list[float]:
    times = [start] + [m.at for m in pings]
    return [later - earlier for earlier, later in itertools.pairwise(times)]


def test_a_healthy_kiosk_feeds_the_watchdog_for_a_whole_period(service: Service) -> None:
    service.start()
    ready = service.ready()
    kiosk = service.kiosk_pid
    assert ready.pid == kiosk and kiosk != int(os.environ.get("WATCHDOG_PID", "0") or 0)
    first = service.notify.wait_for(ping, service.watchdog_s, "the first WATCHDOG=1")
    window = service.notify.collect(service.watchdog_s)  # a whole WatchdogSec= after the first ping
    pings = [m for m in window if ping(m)]
    # The feeder pings every WatchdogSec/2: two more within the window (at 15 s and ~30 s), never a 30 s gap.
    assert len(pings) >= 1, [m.fields for m in window]
    assert all(gap < service.watchdog_s for gap in gaps(first.at, pings))
    assert {m.pid for m in [first, *pings]} == {kiosk}  # from the kiosk itself, as NotifyAccess=all allows
    assert service.main is not None and service.main.poll() is None
    beat = service.wait_heartbeat()  # the operator's view of the same healthy kiosk
    assert beat["in_service"] is True and beat["service_reason"] == "" and beat["restarts"] == 0
    assert beat["jobs_failed"] == 0 and beat["disk_free_mb"] > 0 and beat["audit_head"] is not None
    assert beat["printer"]["paper"] in ("ok", "unknown")
    assert beat["fleet"] == {"last_refusal": None, "last_revert": None}
    assert service.stop() == 0, service.stderr()
    service.notify.wait_for(lambda m: m.fields.get("STOPPING") == "1", 10, "STOPPING=1")
    assert service.leftovers() == {}


def test_a_frozen_ui_loop_stops_the_pings_and_a_thawed_one_resumes_them(service: Service) -> None:
    service.start(freezable=True)
    service.ready()
    service.notify.wait_for(ping, service.watchdog_s, "the first WATCHDOG=1")
    os.kill(service.kiosk_pid, signal.SIGUSR1)
    service.notify.wait_for(lambda m: m.fields.get("STATUS") == "test: UI loop frozen", 60, "the freeze")
    frozen = service.notify.collect(service.watchdog_s)  # systemd would kill the kiosk at the end of this
    assert [m.fields for m in frozen if ping(m)] == []
    assert service.main is not None and service.main.poll() is None  # only the UI loop stopped
    os.kill(service.kiosk_pid, signal.SIGUSR2)
    service.notify.wait_for(ping, service.watchdog_s, "a WATCHDOG=1 after the thaw")
    assert service.stop() == 0, service.stderr()
    assert service.leftovers() == {}
