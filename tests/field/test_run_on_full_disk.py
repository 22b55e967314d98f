"""`kiosk run` when its data disk fills up (#17): the real process under the unit's conditions (the field
harness), its data folder on a real tmpfs that the test fills while the kiosk runs. The kiosk keeps running and
feeding the watchdog, says once that log lines are dropped (no traceback flood in the journal), and carries on
— heartbeats stored again — when room comes back."""

from __future__ import annotations

import time

import pytest

from tests.field.harness import Service, ping
from tests.field.tinydisk import fill, tiny_disk

pytestmark = pytest.mark.slow


def test_a_full_data_disk_does_not_stop_the_kiosk(service: Service) -> None:
    site = service.tmp / "kiosk.toml"
    site.write_text("[service]\nheartbeat_interval_s = 10\n", "utf-8")  # heartbeats (and their failures) while full
    with tiny_disk(service.data_dir, 256 * 1024) as disk:
        service.start(config=site)
        service.ready()
        service.wait_heartbeat()
        filler = fill(disk)
        full_since = time.monotonic()
        # a whole watchdog period on a full disk: pings go on, the process lives
        window = service.notify.collect(service.watchdog_s)
        assert [m for m in window if ping(m)], "no WATCHDOG=1 while the disk was full"
        assert service.main is not None and service.main.poll() is None, service.stderr()[-3000:]
        journal = service.stderr()
        assert journal.count("log lines not written") == 1, journal[-3000:]  # said once, not per line
        assert "Traceback" not in journal, journal[-3000:]
        filler.unlink()  # room again: the kiosk carries on by itself
        stored = len(service.heartbeats())
        deadline = time.monotonic() + 120
        while len(service.heartbeats()) <= stored:
            assert time.monotonic() < deadline, "no heartbeat once there was room\n" + service.stderr()[-3000:]
            assert service.main.poll() is None, service.stderr()[-3000:]
            time.sleep(0.5)
        assert time.monotonic() - full_since > service.watchdog_s
        assert service.stop() == 0, service.stderr()[-3000:]
