"""Each staff menu action through real widgets, role permissions, out-of-service home, reprint marked 补打."""

from __future__ import annotations

import json

import pytest

from tests.staff_ui.conftest import STAFF_CARD, settle, wait_until

pytestmark = pytest.mark.ui


def open_screen(ui, menu, button_id: str):
    ui.tap(menu.ids[button_id].ids.button)
    settle(ui)
    return ui.app.root.current_screen


def test_operator_cannot_exit_to_the_desktop_and_sees_why(kiosk_app, signed_in):
    menu = signed_in("operator")
    exit_action = menu.ids.exit
    assert exit_action.ids.button.disabled and exit_action.ids.reason_label.text == "仅管理员可用"
    assert not menu.ids.restart.ids.button.disabled and menu.ids.restart.ids.reason_label.text == ""
    desk = kiosk_app.app.staff_desk
    quits = []
    desk.quit_app = quits.append
    try:
        kiosk_app.tap(exit_action.ids.button)  # disabled: nothing happens
        assert quits == []
        denied = []
        try:
            desk.exit_to_desktop()  # and the core refuses it too, audited
        except Exception as error:
            denied.append(type(error).__name__)
        assert denied == ["PermissionDenied"]
        assert desk.hardware.audit.tail(1)[0].kind == "staff.denied"
        kiosk_app.tap(menu.ids.restart.ids.button)
        assert quits == [75]
    finally:
        desk.quit_app = desk._quit


def test_administrator_can_exit_to_the_desktop(kiosk_app, signed_in):
    menu = signed_in("administrator")
    desk = kiosk_app.app.staff_desk
    assert not menu.ids.exit.ids.button.disabled and menu.ids.exit.ids.reason_label.opacity == 0
    quits = []
    desk.quit_app = quits.append
    try:
        kiosk_app.tap(menu.ids.exit.ids.button)
    finally:
        desk.quit_app = desk._quit
    assert quits == [64]
    record = [r for r in desk.hardware.audit.tail(4) if r.kind == "staff.action"][-1]
    assert record.actor == "admin01" and record.fields == {"action": "exit_to_desktop"}


def test_print_test_then_paper_replaced_resets_the_paper_counter(kiosk_app, signed_in, staff_hw):
    menu = signed_in("operator")
    tests = open_screen(kiosk_app, menu, "selftest")
    before = staff_hw.sims.printer.finished
    kiosk_app.tap(tests.ids.print_test)
    assert wait_until(kiosk_app, lambda: tests.printer_result == "测试回执已打印", 15)
    job = staff_hw.sims.printer.wait_for_job(before + 1)
    assert any("打印自检" in line for line in job.lines) and job.qr_payloads and job.complete
    printer = staff_hw.devices["printer"]
    assert printer.counters.snapshot()["paper_mm"] > 0
    kiosk_app.tap(tests.children[0].ids.back)
    settle(kiosk_app)
    kiosk_app.tap(menu.ids.paper.ids.button)
    assert menu.ids.result.text.startswith("纸卷计数已清零")
    assert printer.counters.snapshot()["paper_mm"] == 0
    kinds = [r.kind for r in staff_hw.audit.tail(3)]
    assert "device.paper_replaced" in kinds


def test_card_self_test_shows_only_the_masked_number(kiosk_app, signed_in, staff_hw):
    menu = signed_in("operator")
    tests = open_screen(kiosk_app, menu, "selftest")
    staff_hw.sims.idcard.place(STAFF_CARD)
    kiosk_app.tap(tests.ids.read_idcard)
    try:
        assert wait_until(kiosk_app, lambda: tests.idcard_result.startswith("读卡成功"), 15)
        assert tests.idcard_result == "读卡成功：110101********2340"
    finally:
        staff_hw.sims.idcard.remove()


def test_camera_preview_draws_frames_with_face_and_qr_overlays(kiosk_app, signed_in, staff_hw):
    menu = signed_in("operator")
    tests = open_screen(kiosk_app, menu, "selftest")
    kiosk_app.tap(tests.ids.camera)
    try:
        assert wait_until(kiosk_app, lambda: tests.ids.preview.texture is not None, 15)
        assert wait_until(kiosk_app, lambda: "人脸 1 张" in tests.camera_result, 15), tests.camera_result
        camera = staff_hw.devices["camera"]
        camera.switch_source(str(staff_hw.sims.camera_scene("qr"))).result(10)
        assert wait_until(kiosk_app, lambda: "二维码 1 个" in tests.camera_result, 15), tests.camera_result
    finally:
        staff_hw.devices["camera"].switch_source(str(staff_hw.sims.camera_scene("face"))).result(10)
        kiosk_app.tap(tests.ids.camera)
    assert tests.ids.preview.texture is None


def test_out_of_service_home_shows_the_alternatives_until_back_in_service(kiosk_app, signed_in):
    menu = signed_in("operator")
    kiosk_app.tap(menu.ids.service.ids.button)
    assert menu.ids.service.ids.button.text == "恢复服务"
    desk = kiosk_app.app.staff_desk
    assert desk.out_of_service
    desk.logout()
    assert wait_until(kiosk_app, lambda: kiosk_app.app.root.current == "home", 5)
    settle(kiosk_app)
    home = kiosk_app.screen("home")
    overlay = home.ids.out_of_service
    assert overlay.opacity == 1 and overlay.size == home.size
    assert overlay.ids.oos_title.text == "暂停服务"
    for alternative in kiosk_app.app.core.settings.service.alternatives:
        assert alternative.place.zh_CN in overlay.ids.oos_alternatives.text
    assert overlay.on_touch_down(type("T", (), {"pos": home.center})())  # residents cannot start anything
    state = json.loads((kiosk_app.app.core.data_dir / "service-mode.json").read_text())
    assert state["out_of_service"] is True  # survives a restart
    menu = signed_in("operator")
    kiosk_app.tap(menu.ids.service.ids.button)
    assert not desk.out_of_service
    desk.logout()
    assert wait_until(kiosk_app, lambda: kiosk_app.app.root.current == "home", 5)
    assert home.ids.out_of_service.opacity == 0


def test_outbox_lists_refused_items_retries_and_exports_them(kiosk_app, signed_in, staff_hw):
    outbox = staff_hw.outbox
    outbox.enqueue_evaluation(5, ["fast"], application_no="TB19990101000001")  # unknown: refused for good (422)
    assert wait_until(kiosk_app, lambda: len(outbox.failed()) >= 1, 15)
    menu = signed_in("operator")
    screen = open_screen(kiosk_app, menu, "outbox")
    assert screen.ids.failed_heading.text.startswith("平台拒收：")
    row = screen.ids.failed.children[-1]
    job_id = row.job_id
    kiosk_app.tap(row.ids.button)
    assert screen.result == "已重新排队发送"
    assert wait_until(kiosk_app, lambda: any(j.id == job_id for j in outbox.failed()), 15)  # refused again
    kiosk_app.tap(screen.ids.export)
    assert screen.result.startswith("已导出")
    exported = sorted((kiosk_app.app.core.data_dir / "exports").glob("outbox-failed-*.json"))[-1]
    assert any(item["id"] == job_id for item in json.loads(exported.read_text("utf-8")))
    assert oct(exported.stat().st_mode & 0o777) == "0o600"


def test_reprint_is_marked_and_carries_only_the_masked_receipt(kiosk_app, signed_in, staff_hw):
    from drivers.printer.sample import standard_receipt

    desk = kiosk_app.app.staff_desk
    desk.maintenance.receipts.keep("TB20240601-000123", standard_receipt())
    menu = signed_in("operator")
    screen = open_screen(kiosk_app, menu, "outbox")
    row = next(r for r in screen.ids.receipts.children if r.reference == "TB20240601-000123")
    before = staff_hw.sims.printer.finished
    kiosk_app.tap(row.ids.button)
    assert wait_until(kiosk_app, lambda: screen.result == "已补打", 15)
    job = staff_hw.sims.printer.wait_for_job(before + 1)
    text = "\n".join(job.lines)
    assert "补打" in text and "原打印时间" in text
    assert "110101********1234" in text and "张*明" in text
    kept = (kiosk_app.app.core.data_dir / "receipts" / "TB20240601-000123.json").read_text("utf-8")
    assert "110101********1234" in kept and oct((kiosk_app.app.core.data_dir / "receipts" /
                                                "TB20240601-000123.json").stat().st_mode & 0o777) == "0o600"


def test_info_shows_versions_logs_and_checks_the_network(kiosk_app, signed_in, staff_hw):
    menu = signed_in("operator")
    screen = open_screen(kiosk_app, menu, "info")
    assert "配置版本：local" in screen.ids.versions.text and "最近一次配置更新：暂无" in screen.ids.versions.text
    assert screen.ids.logs.text  # the kiosk's own log (redacted when written)
    before = len(staff_hw.sims.platform.heartbeats())
    kiosk_app.tap(screen.ids.network_check)
    assert wait_until(kiosk_app, lambda: screen.network.startswith("平台连接正常"), 15), screen.network
    assert len(staff_hw.sims.platform.heartbeats()) > before
    staff_hw.sims.platform.set_faults("heartbeat", error_rate=1.0, error_status=503)
    try:
        kiosk_app.tap(screen.ids.network_check)
        assert wait_until(kiosk_app, lambda: screen.network.startswith("平台无法连接"), 15), screen.network
    finally:
        staff_hw.sims.platform.clear_faults()
