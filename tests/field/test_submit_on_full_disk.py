"""A resident submits while the data disk is full, under the real ``kiosk run`` (#17): the data folder on a real
tiny tmpfs (tests/field/tinydisk.py) that the test fills, the resident's visit on the running core (the headless
journey of tests/fleet/resident.py, on the simulated ID-card reader and the platform simulator, driven through
tests/field/drive/). The application is kept in memory and the resident told so, the kiosk stays up, the heartbeat
counts the kept application and the empty disk. The resident then ends the session (结束办理): before it ends,
the goodbye screen tells them the kiosk keeps the application and will send it, how to follow it without a number
(办件查询 with the ID card, the hotline), and — saved once there is room while they read — its number; it is
delivered, and nothing of it stays on the screen after the session ends."""

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
GOODBYE = """
screen = app.root.get_screen('goodbye')
result = {"current": app.root.current, "active": app.core.journey.active, "take": screen.ids.take.text,
          "kept": screen.ids.kept.text, "number": screen.ids.number.text}
"""


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

        # 结束办理: told on the goodbye screen before the session ends (its 30 s made longer than this busy machine
        # may take to save the application: the number is waited for as an event)
        service.drive("import screens.goodbye\nscreens.goodbye.KEPT_S = 600.0\napp.cancel_session()")
        shown = service.drive_until(GOODBYE, what="the goodbye screen")
        assert shown["active"] and shown["current"] == "goodbye", shown
        kept = shown["kept"]
        assert "本机保管" in kept and "自动提交" in kept and "还没有编号" in kept, kept
        assert "办件查询" in kept and "身份证" in kept and "12345" in kept, kept  # how to follow it, the hotline
        assert "清除" not in shown["take"], shown  # never "everything is erased": the application is kept
        assert "张" not in kept + shown["take"], shown

        filler.unlink()  # room again: saved and submitted by itself while the resident reads
        steps = service.drive_until(DONE + "\nresult = len(result) == 3 and app._test_visit['steps']",
                                    what="the kept application saved")  # fmt: skip
        assert steps[2][0] == "apply" and steps[2][1]["what"] == "submitted", steps
        assert service.drive("result = app.core.journey.held") == 0
        number = service.drive_until(GOODBYE + "\nresult = result['number']", what="its number on the screen")
        assert number == steps[2][1]["number"], number  # the platform's number, or the local reference if none yet
        assert "办件查询" in service.drive(GOODBYE + "\nresult = result['kept']")

        service.drive("app.root.get_screen('goodbye').finish()")  # 完成 (or its time runs out)
        after = service.drive_until(GOODBYE + "\nresult = result['current'] == 'home' and result", what="home")
        assert not after["active"] and after["kept"] == after["number"] == "", after  # nothing of it stays
        service.drive_until("result = app.core.hardware.outbox.depth() == 0", what="the application delivered")
        with sqlite3.connect(service.data_dir / "sim" / "platform.sqlite3", timeout=5) as db:
            (delivered,) = db.execute("SELECT COUNT(*) FROM applications").fetchone()
        assert delivered == 1
        assert service.stop() == 0, service.stderr()[-3000:]
        assert service.leftovers() == {}
