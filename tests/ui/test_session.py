"""Session lifecycle and degraded modes through the real app: idle warning then wipe with the clock advanced,
a card pulled mid-journey, cancel anywhere, printer out of paper, camera missing, platform unreachable."""

from __future__ import annotations

import pytest

from tests.ui.conftest import layout_problems, settled_tap, wait_until
from tests.ui.test_journey import personal_data_left

pytestmark = pytest.mark.ui

NEEDLES = ["张伟", "110105199003071239"]


def _start_identified(ui, rig, code="330199000400620000"):
    from kiosk.journey import Target

    app = ui.app
    services = app.services
    if services.device("camera") is not rig.cameras["face"]:
        app.attach_device("camera", rig.cameras["face"])  # the journey test leaves the document camera attached
    services.journey.choose(Target.of_item(services.catalog.item(code)))
    app.navigate("identify")
    ui.tick(3)
    rig.remove_card()
    reader = services.device("idcard")
    assert wait_until(ui, lambda: not reader.status().fields.get("card_present"), 10)  # the reader saw it go
    ui.tap(ui.screen("identify").ids.idcard)
    rig.place_card()
    assert wait_until(ui, lambda: app.root.current in ("face", "materials"), 20)
    assert wait_until(ui, lambda: app.root.current == "materials", 40)


def test_idle_warning_then_wipe_with_the_clock_advanced(kiosk_app, rig):
    ui, app = settled_tap(kiosk_app), kiosk_app.app
    _start_identified(ui, rig)
    idle = app.core.idle
    now = [1000.0]
    saved = idle._clock
    idle._clock = lambda: now[0]
    try:
        idle.activity()
        now[0] += idle.timeout_s - 10  # inside the warning window
        app._tick_idle()
        ui.tick(3)
        assert app._idle_dialog is not None
        assert "还需要更多时间吗" in app._idle_dialog.ids.question.text
        ui.tap(app._idle_dialog.ids.more)  # "yes": the session goes on
        assert app._idle_dialog is None and app.root.current == "materials"
        now[0] += idle.timeout_s + 1
        app._tick_idle()
        ui.tick(3)
    finally:
        idle._clock = saved
        idle.activity()
    assert app.root.current == "home"
    assert not app.services.journey.active
    assert personal_data_left(app, NEEDLES) == []
    rig.remove_card()


def test_card_pulled_mid_journey_ends_the_session_after_the_grace(kiosk_app, rig):
    ui, app = settled_tap(kiosk_app), kiosk_app.app
    _start_identified(ui, rig)
    journey = app.services.journey
    rig.remove_card()
    assert wait_until(ui, lambda: app._card_dialog is not None, 10)
    journey.session.card_removed_at -= journey.card_grace_s + 1  # the grace has run out
    app._tick_idle()
    ui.tick(3)
    assert app.root.current == "home" and not journey.active
    assert "取走" in ui.screen("home").ids.notice.text
    assert personal_data_left(app, NEEDLES) == []


def test_cancel_anywhere_wipes(kiosk_app, rig):
    ui, app = settled_tap(kiosk_app), kiosk_app.app
    _start_identified(ui, rig)
    ui.tap(ui.screen("materials").ids.bar.ids.cancel)
    assert app.root.current == "home" and not app.services.journey.active
    assert personal_data_left(app, NEEDLES) == []
    rig.remove_card()


def test_printer_out_of_paper_shows_the_receipt_on_screen(kiosk_app, rig):
    from kiosk.journey import Submission, Target

    ui, app = settled_tap(kiosk_app), kiosk_app.app
    journey = app.services.journey
    journey.choose(Target.of_item(app.services.catalog.item("330199000400620000")))
    journey.session.submission = Submission("K0001-000999", None, "示例县公安局", None, queued=True)
    rig.printer_emulator.set_fault("paper_out", 0)
    try:
        assert wait_until(ui, lambda: app.services.device("printer").status().fields.get("paper") == "end", 10)
        app.navigate("receipt")
        receipt = ui.screen("receipt")
        assert wait_until(ui, lambda: receipt.state == "on_screen", 10)
        assert receipt.ids.qr.texture is not None and receipt.queued
        assert "K0001-000999" in receipt.ids.number.text  # the local reference while queued
        assert layout_problems(receipt) == []
    finally:
        rig.printer_emulator.clear_faults()
        app.cancel_session()


def test_camera_missing_points_photo_items_to_the_counter(kiosk_app, rig):
    from kiosk.journey import Target

    ui, app = settled_tap(kiosk_app), kiosk_app.app
    services = app.services
    camera = services.devices.pop("camera")
    try:
        services.refresh_degraded()
        services.journey.choose(Target.of_item(services.catalog.item("330199000400620000")))
        app.navigate("guide")
        ui.tick(3)
        guide = ui.screen("guide")
        assert not guide.here and "摄像头" in guide.elsewhere
        assert guide.ids.apply.disabled
    finally:
        services.devices["camera"] = camera
        services.refresh_degraded()
        app.cancel_session()


def test_platform_unreachable_queues_with_the_local_reference(kiosk_app, rig):
    from drivers.identity import CardType, Identity, Source
    from kiosk.journey import Target

    ui, app = kiosk_app, kiosk_app.app
    journey = app.services.journey
    backend = journey.backend
    rig.platform.set_faults("*", error_rate=1.0, error_status=503)
    backend.deliver_wait_s = 0.5
    try:
        journey.choose(Target.of_item(app.services.catalog.item("330199000200310000")))
        journey.identity_read(Identity(Source.ID_CARD, CardType.RESIDENT, "张伟", "110105199003071239"))
        journey.verify()
        assert wait_until(ui, lambda: journey.session.verification is not None, 20)
        assert journey.verified_or_offline
        import io

        from PIL import Image

        page = io.BytesIO()
        Image.new("RGB", (64, 64), "white").save(page, "JPEG")
        for entry in journey.session.materials:
            if str(entry.status) == "pending":
                journey.capture(entry.code, page.getvalue())
        journey.submit()
        assert wait_until(ui, lambda: journey.session.submission is not None, 20)
        submission = journey.session.submission
        assert submission.queued and submission.application_no is None
        assert submission.reference.startswith("K0001-")
    finally:
        rig.platform.clear_faults()
        backend.deliver_wait_s = 5.0
        app.cancel_session()
