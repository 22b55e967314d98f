"""Session lifecycle and degraded modes through the real app: idle warning then wipe with the clock advanced,
a card pulled mid-journey, cancel anywhere, printer out of paper, camera missing, platform unreachable."""

from __future__ import annotations

import pytest

from screens.demo import demo_card, show_scene
from screens.widgets import personal_strings_left
from tests.ui.conftest import card_put_down, card_taken_away, layout_problems, settled_tap, wait_until

pytestmark = pytest.mark.ui

NEEDLES = ["张伟", "110105199003071239"]


def _start_identified(ui, hw, code="330199001400120000"):
    from kiosk.journey import Target

    app = ui.app
    services = app.services
    show_scene(hw, "face")  # the journey test leaves the camera on the document scene
    card_taken_away(ui, hw)  # a card lying there would be read as the identify screen opens
    services.journey.choose(Target.of_item(services.catalog.item(code)))
    app.navigate("identify")
    ui.tick(3)
    ui.tap(ui.screen("identify").ids.idcard)
    hw.sims.idcard.place(demo_card())
    assert wait_until(ui, lambda: app.root.current in ("face", "materials"), 20)
    assert wait_until(ui, lambda: app.root.current == "materials", 40)


def test_idle_warning_then_wipe_with_the_clock_advanced(kiosk_app, hw):
    ui, app = settled_tap(kiosk_app), kiosk_app.app
    _start_identified(ui, hw)
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
    assert personal_strings_left(app, NEEDLES) == []
    hw.sims.idcard.remove()


def test_a_card_put_down_before_the_identify_screen_is_read_there(kiosk_app, hw):
    """The resident puts the ID card on the reader first (on the home screen a card alone starts nothing), then
    chooses the service: the identify screen reads the card lying there once they said 本人办理 (the item may be
    done for someone else), no lifting and putting back."""
    from kiosk.journey import Target

    ui, app = settled_tap(kiosk_app), kiosk_app.app
    services = app.services
    show_scene(hw, "face")
    card_taken_away(ui, hw)
    app.go_home()
    try:
        card_put_down(ui, hw, demo_card())
        assert app.root.current == "home" and services.journey.session.identity is None  # ignored there
        services.journey.choose(Target.of_item(services.catalog.item("330199001400120000")))
        app.navigate("identify")
        identify = ui.screen("identify")  # the item may be done for someone else: whose card is it?
        assert identify.card_waiting and services.journey.session.identity is None
        assert identify.ids.card.kind == "lying"  # the picture shows the card lying there, no hand putting it down
        ui.tap(identify.ids.for_self)
        assert wait_until(ui, lambda: app.root.current in ("face", "materials"), 20), identify.error_text
        assert services.journey.session.identity is not None
    finally:
        app.cancel_session()
        hw.sims.idcard.remove()
    assert app.root.current == "home" and personal_strings_left(app, NEEDLES) == []


def test_card_pulled_mid_journey_ends_the_session_after_the_grace(kiosk_app, hw):
    ui, app = settled_tap(kiosk_app), kiosk_app.app
    _start_identified(ui, hw)
    journey = app.services.journey
    hw.sims.idcard.remove()
    assert wait_until(ui, lambda: app._card_dialog is not None, 10)
    dialog = app._card_dialog  # where the card goes back, drawn, and the seconds left counting down
    assert dialog.ids.picture.texture is not None and dialog.ids.picture.height > 0
    shown = dialog.seconds
    journey.session.card_removed_at -= 3
    app._tick_idle()
    ui.tick(2)
    assert dialog.seconds <= shown - 2 and f"{dialog.seconds}" in dialog.ids.countdown.text
    journey.session.card_removed_at -= journey.card_grace_s + 1  # the grace has run out
    app._tick_idle()
    ui.tick(3)
    assert app.root.current == "home" and not journey.active
    assert "取走" in ui.screen("home").ids.notice.text
    assert personal_strings_left(app, NEEDLES) == []


def test_a_resident_walking_away_from_a_kept_application_is_told_on_goodbye_first(kiosk_app, hw):
    """A full disk keeps the application in memory (``Session.held``; the real disk and 结束办理:
    tests/field/test_submit_on_full_disk.py). The card taken away no longer ends the session (the application is
    handed over); the idle timeout shows goodbye — kept, how to follow it, the hotline — before the session ends,
    and nothing of it stays on the screen afterwards."""
    from drivers.identity import CardType, Identity, Source
    from kiosk.journey import Target

    ui, app = settled_tap(kiosk_app), kiosk_app.app
    journey, goodbye = app.services.journey, ui.screen("goodbye")
    journey.choose(Target.of_item(app.services.catalog.item("330199001400120000")))
    journey.identity_read(Identity(Source.ID_CARD, CardType.RESIDENT, *NEEDLES))  # the card's read, as the reader's
    app.navigate("guide")
    journey.session.held = True  # submitted on a full disk: kept in memory
    journey.card_removed()
    assert journey.card_grace_left() is None  # no countdown: the card is no longer needed
    idle, now = app.core.idle, [1000.0]
    saved = idle._clock
    idle._clock = lambda: now[0]
    try:
        idle.activity()
        now[0] += idle.timeout_s + 1  # walked away
        app._tick_idle()
        assert wait_until(ui, lambda: app.root.current == "goodbye")
        assert journey.active  # not ended yet: told first
        assert "本机保管" in goodbye.ids.kept.text and "办件查询" in goodbye.ids.kept.text, goodbye.ids.kept.text
        assert "12345" in goodbye.ids.kept.text and "清除" not in goodbye.ids.take.text
        assert layout_problems(goodbye) == []
        goodbye._timed_out(journey.session.id)  # its time is up
        ui.tick(3)
    finally:
        idle._clock = saved
        idle.activity()
    assert app.root.current == "home" and not journey.active
    assert goodbye.ids.kept.text == "" and app.notice == ""  # no "nothing of it was kept": it was
    assert personal_strings_left(app, NEEDLES) == []


def test_cancel_anywhere_wipes(kiosk_app, hw):
    ui, app = settled_tap(kiosk_app), kiosk_app.app
    _start_identified(ui, hw)
    ui.tap(ui.screen("materials").ids.bar.ids.cancel)
    assert app.root.current == "home" and not app.services.journey.active
    assert personal_strings_left(app, NEEDLES) == []
    hw.sims.idcard.remove()


def queued_submission():
    """A submission the platform has not answered yet (masked data only, as kiosk.applications keeps it)."""
    import datetime as dt

    from kiosk.applications import MaterialLine, Submission

    return Submission(reference="K0001-000999", submitted_at=dt.datetime(2026, 3, 2, 10, 0), title="居住证申领",
                      item_names=("居住证申领",), is_bundle=False, applicant_name="张*", applicant_id="1101**1239",
                      agent_name=None, agent_id=None, office="示例县公安局", route_kind="local",
                      materials=(MaterialLine("居住证申请表", "file"),),
                      promised_by=dt.date(2026, 3, 16), approximate=False, immediate=False,
                      next_steps=("请按时到窗口领取。",),
                      consult_phone="12345")


def test_printer_out_of_paper_shows_the_receipt_on_screen(kiosk_app, hw):
    from kiosk.applications import parse_progress_qr
    from kiosk.journey import Target

    ui, app = settled_tap(kiosk_app), kiosk_app.app
    journey = app.services.journey
    journey.choose(Target.of_item(app.services.catalog.item("330199000400620000")))
    journey.session.submission = queued_submission()
    hw.sims.printer.set_fault("paper_out", 0)
    try:
        assert wait_until(ui, lambda: hw.devices["printer"].status().fields.get("paper") == "end", 10)
        app.navigate("receipt")
        receipt = ui.screen("receipt")
        assert wait_until(ui, lambda: receipt.state == "on_screen", 10)
        assert receipt.ids.qr.texture is not None and receipt.queued
        assert "K0001-000999" in receipt.ids.number.text  # the local reference while queued
        rows = {row.label: row.value for row in receipt.ids.rows.children if hasattr(row, "label")}
        assert rows.get("本机受理号") == "K0001-000999"  # the applications receipt, shown as printed
        lines = [row.text for row in reversed(receipt.ids.rows.children) if not hasattr(row, "label")]
        assert "材料情况" in lines and "后续事项" in lines  # the whole document, not only its key-value rows
        assert "【已提供】居住证申请表" in lines and "1. 请按时到窗口领取。" in lines
        assert parse_progress_qr(journey.session.submission.progress_qr).reference == "K0001-000999"
        assert layout_problems(receipt) == []
        app.core.set_language("en")  # the screen in the resident's language; the paper stays Chinese
        receipt.build_rows()
        rows = {row.label: row.value for row in receipt.ids.rows.children if hasattr(row, "label")}
        assert rows["Promised by"] == "About 2026-03-16, the platform confirms it"  # queued: the kiosk's own count
        assert rows["Local reference"] == "K0001-000999"
        lines = [row.text for row in receipt.ids.rows.children if not hasattr(row, "label")]
        assert "【Provided】居住证申请表" in lines and "Materials" in lines
        printed = [block.key for block in receipt.document().sections[0].blocks if hasattr(block, "key")]
        assert "承诺办结" in printed and "Promised by" not in printed  # the paper stays Chinese
    finally:
        app.core.set_language("zh_CN")
        hw.sims.printer.clear_faults()
        app.cancel_session()


def test_camera_missing_points_photo_items_to_the_counter(kiosk_app, hw):
    from kiosk.journey import Target

    ui, app = settled_tap(kiosk_app), kiosk_app.app
    services = app.services
    services.journey.attach({role: device for role, device in hw.devices.items() if role != "camera"})
    try:
        services.journey.choose(Target.of_item(services.catalog.item("330199000400620000")))
        app.navigate("guide")
        ui.tick(3)
        guide = ui.screen("guide")
        assert not guide.here and "摄像头" in guide.elsewhere
        assert guide.ids.apply.disabled
    finally:
        services.journey.attach(hw.devices)
        app.cancel_session()


def _identified_by_card(ui, journey, code: str) -> None:
    from drivers.identity import CardType, Identity, Source
    from kiosk.journey import Target

    journey.choose(Target.of_item(ui.app.services.catalog.item(code)))
    journey.identity_read(Identity(Source.ID_CARD, CardType.RESIDENT, "张伟", "110105199003071239"))


def test_platform_unreachable_at_identification_says_verification_is_unavailable(kiosk_app, hw):
    ui, app = kiosk_app, kiosk_app.app
    journey = app.services.journey
    events = []
    unsubscribe = app.core.subscribe(lambda kind, payload: events.append(payload) if kind == "journey" else None)
    pending = len(hw.outbox.pending())
    hw.sims.platform.set_faults("*", error_rate=1.0, error_status=503)
    try:
        _identified_by_card(ui, journey, "330199000200310000")
        journey.verify()
        assert wait_until(ui, lambda: any(e.get("what") == "verified" for e in events), 30)
        verdict = next(e for e in events if e.get("what") == "verified")
        assert verdict == {"what": "verified", "ok": False, "reason": "platform_unavailable"}
        face = ui.screen("face")
        face.on_journey(verdict)  # what the face screen shows for it
        assert "实名核验暂时无法进行" in face.error_text and "工作时间" in face.error_text
        assert journey.session.application is None and not journey.verified
        assert len(hw.outbox.pending()) == pending  # nothing queued that the platform would refuse
    finally:
        unsubscribe()
        hw.sims.platform.clear_faults()
        app.cancel_session()


def test_platform_unreachable_after_verification_queues_with_the_local_reference(kiosk_app, hw):
    import io

    from PIL import Image

    from kiosk.applications import parse_progress_qr

    ui, app = kiosk_app, kiosk_app.app
    journey = app.services.journey
    _identified_by_card(ui, journey, "330199000200310000")
    journey.verify()
    assert wait_until(ui, lambda: journey.verified, 30)
    hw.sims.platform.set_faults("*", error_rate=1.0, error_status=503)
    journey.deliver_wait_s = 0.5
    try:
        page = io.BytesIO()
        Image.new("RGB", (64, 64), "white").save(page, "JPEG")
        for entry in journey.session.materials:
            if entry.state == "missing":
                journey.capture(entry.code, page.getvalue())
        values = {"phone": "13800138000", "date": "2026-03-01", "text": "北京"}
        for spec in journey.session.target.form:
            journey.set_field(spec.key, spec.options[0] if spec.options else values[str(spec.type)])
        journey.submit()
        assert wait_until(ui, lambda: journey.session.submission is not None or journey.session.error, 20)
        submission = journey.session.submission
        assert submission is not None, journey.session.error
        assert submission.application_no is None and submission.reference.startswith("K0001-")
        assert parse_progress_qr(submission.progress_qr).reference == submission.reference
    finally:
        hw.sims.platform.clear_faults()
        journey.deliver_wait_s = 8.0
        app.cancel_session()


def test_an_item_not_handled_here_for_this_resident_says_where_to_go_after_the_check(kiosk_app, hw):
    ui, app = kiosk_app, kiosk_app.app
    journey = app.services.journey
    events = []
    unsubscribe = app.core.subscribe(lambda kind, payload: events.append(payload) if kind == "journey" else None)
    try:
        _identified_by_card(ui, journey, "330199000300120000")  # 高龄津贴: 社区通办 for Zhejiang households only
        journey.verify()
        assert wait_until(ui, lambda: any(e.get("what") == "verified" for e in events), 30)
        verdict = next(e for e in events if e.get("what") == "verified")
        assert verdict["ok"] is False and verdict["reason"] == "not_here" and "请到" in app.core.t(verdict["message"])
        assert journey.session.application is None
    finally:
        unsubscribe()
        app.cancel_session()


def test_a_goodbye_timer_never_ends_another_residents_session(kiosk_app, hw):
    """The goodbye screen's 6 s timer, if it outlives the screen, must leave the next resident's session alone."""
    from kiosk.journey import EndReason, Target

    app = kiosk_app.app
    journey = app.services.journey
    goodbye = kiosk_app.screen("goodbye")
    journey.choose(Target.of_item(app.services.catalog.item("330199001400120000")))
    started = journey.session.id
    try:
        goodbye._timed_out("an-earlier-session")  # the previous resident's timer firing late
        assert journey.active and journey.session.id == started
        goodbye._timed_out(started)  # this session's, but the goodbye screen is not shown
        assert journey.active and journey.session.id == started
    finally:
        journey.end(EndReason.CANCELLED)
        kiosk_app.tick(5)
