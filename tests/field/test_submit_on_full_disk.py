"""A resident submits while the data disk is full, under the real ``kiosk run`` (#17): the data folder on a real
tiny tmpfs (tests/field/tinydisk.py) that the test fills, the resident's visit on the running core (the headless
journey of tests/fleet/resident.py, on the simulated ID-card reader and the platform simulator, driven through
tests/field/drive/). The application is kept in memory and the resident told so, the kiosk stays up, the heartbeat
counts the kept application and the empty disk; once there is room it is saved, submitted and delivered."""

from __future__ import annotations

import sqlite3

import pytest

from tests.field.harness import Service
from tests.field.tinydisk import fill, tiny_disk

pytestmark = pytest.mark.slow

VISIT = """
from tests.fleet.resident import Resident
resident, steps = Resident(app.core), []
def run(*names):  # on a thread of its own: each step waits for the journey's events
    try:
        for name in names:
            steps.append((name, getattr(resident, name)()))
    except Exception as error:
        steps.append(("error", repr(error)))
app._test_visit = {"run": run, "steps": steps}
"""
STEPS = "import threading\nthreading.Thread(target=app._test_visit['run'], args={}, daemon=True).start()"
DONE = "result = [s for s, _ in app._test_visit['steps']]"


def test_an_application_submitted_on_a_full_disk_is_kept_and_saved_when_room_returns(service: Service) -> None:
    with tiny_disk(service.data_dir, 8 * 1024) as disk:
        service.start(drivable=True)
        assert service.ready().fields.get("STATUS") == "home screen shown"
        service.drive_until("result = app.core.office is not None", 120, "the hardware and the office")
        service.drive(VISIT)
        service.drive(STEPS.format(("begin", "identify")))
        assert service.drive_until(DONE + "\nresult = len(result) == 2 and result", what="identified") == [
            "begin", "identify"]  # fmt: skip

        filler = fill(disk)  # the disk fills up as the resident finishes the form
        service.drive(STEPS.format(("apply",)))
        service.drive_until("result = app.core.journey.held == 1", what="the application kept in memory")
        told = service.drive("result = app.core.t(app.core.journey.session.error)")
        assert "存储空间已满" in told and "保留" in told, told  # the resident is told, in their language
        beat = service.drive("result = app.staff_desk.heartbeat.payload()")  # what the heartbeat reports now
        assert beat["applications_held"] == 1 and beat["disk_free_mb"] == 0, beat
        assert service.main is not None and service.main.poll() is None  # the kiosk stays up
        assert service.drive(DONE) == ["begin", "identify"]  # not submitted, not failed: waiting for room

        filler.unlink()  # room again: saved and submitted by itself, the receipt's number follows
        steps = service.drive_until(DONE + "\nresult = len(result) == 3 and app._test_visit['steps']",
                                    what="the kept application saved")  # fmt: skip
        assert steps[2][0] == "apply" and steps[2][1]["what"] == "submitted", steps
        assert service.drive("result = app.core.journey.held") == 0
        service.drive_until("result = app.core.hardware.outbox.depth() == 0", what="the application delivered")
        with sqlite3.connect(service.data_dir / "sim" / "platform.sqlite3", timeout=5) as db:
            (delivered,) = db.execute("SELECT COUNT(*) FROM applications").fetchone()
        assert delivered == 1
        assert service.stop() == 0, service.stderr()[-3000:]
        assert service.leftovers() == {}
