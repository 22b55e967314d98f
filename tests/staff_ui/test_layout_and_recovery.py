"""Staff screens in portrait and landscape, normal and elder mode, without overlap; the status board and the home
screen following the supervisor as simulated devices fail and come back."""

from __future__ import annotations

import pytest

from tests.staff_ui.conftest import settle, wait_until
from tests.ui.test_home import _bounds_ok

pytestmark = pytest.mark.ui

SCREENS = ("staff_pin", "staff_menu", "staff_status", "staff_selftest", "staff_outbox", "staff_info")


@pytest.mark.parametrize("size", [(1080, 1920), (1920, 1080)])
@pytest.mark.parametrize("elder", [False, True])
def test_staff_screens_and_out_of_service_home_lay_out_without_overlap(kiosk_app, signed_in, size, elder):
    import importlib

    from kivy.core.window import Window

    signed_in("administrator")
    core = kiosk_app.app.core
    desk = kiosk_app.app.staff_desk
    core.set_elder_mode(elder)
    desk.service_mode.set(True)
    kiosk_app.tick()
    probes = []
    try:
        for name in (*SCREENS, "home"):
            module = importlib.import_module(f"screens.{name}")
            cls = getattr(module, "".join(p.capitalize() for p in name.split("_")) + "Screen")
            screen = cls(name=f"probe-{name}", size_hint=(None, None))
            screen.size = size
            Window.add_widget(screen)
            probes.append(screen)
            if hasattr(screen, "refresh"):
                screen.refresh()
        kiosk_app.tick(5)
        for screen in probes:
            assert _bounds_ok(screen) == [], screen.name
        home = probes[-1]
        assert home.ids.out_of_service.size == home.size
    finally:
        for screen in probes:
            Window.remove_widget(screen)
        desk.service_mode.set(False)
        core.set_elder_mode(False)
        kiosk_app.tick()


def board_text(screen) -> str:
    return "\n".join(label.text for label in screen.ids.board.children)


def device_line(screen, device: str) -> str:
    return next(label.text for label in screen.ids.board.children if label.device == device)


def test_printer_offline_then_back_is_shown_live_on_the_board_and_home(kiosk_app, signed_in, staff_hw):
    menu = signed_in("operator")
    kiosk_app.tap(menu.ids.status.ids.button)
    settle(kiosk_app)
    board = kiosk_app.app.root.get_screen("staff_status")
    assert "回执打印机" in device_line(board, "printer") and "就绪" in device_line(board, "printer")
    emulator = staff_hw.sims.printer
    emulator.set_fault("offline")
    try:
        assert wait_until(kiosk_app, lambda: "就绪" not in device_line(board, "printer"), 20), board_text(board)
        assert "最近错误" in device_line(board, "printer") or "离线" in device_line(board, "printer")
        assert "printer" in kiosk_app.app.staff_desk.degraded_devices
        assert "回执打印机" in kiosk_app.screen("home").ids.degraded.text  # the home notice
    finally:
        emulator.clear_faults()
    assert wait_until(kiosk_app, lambda: "就绪" in device_line(board, "printer"), 30), board_text(board)
    assert kiosk_app.screen("home").ids.degraded.text == ""
    assert staff_hw.supervisor.health("printer").ready


def test_id_reader_silent_then_back(kiosk_app, signed_in, staff_hw):
    menu = signed_in("operator")
    kiosk_app.tap(menu.ids.status.ids.button)
    settle(kiosk_app)
    board = kiosk_app.app.root.get_screen("staff_status")
    sim = staff_hw.sims.idcard
    sim.set_faults(["silence"])
    try:
        assert wait_until(kiosk_app, lambda: "硬件故障" in device_line(board, "idcard"), 30), board_text(board)
    finally:
        sim.set_faults([])
    assert wait_until(kiosk_app, lambda: "就绪" in device_line(board, "idcard"), 30), board_text(board)
    assert not kiosk_app.app.staff_desk.degraded_devices


def test_pcscd_restart_is_recovered(kiosk_app, signed_in, staff_hw):
    if staff_hw.sims.sscard is None:
        pytest.skip("no pcscd/vpcd for the social-security card simulator here")
    menu = signed_in("operator")
    kiosk_app.tap(menu.ids.status.ids.button)
    settle(kiosk_app)
    board = kiosk_app.app.root.get_screen("staff_status")
    reader = staff_hw.devices["sscard"]
    seen = []
    reader.subscribe(lambda event: seen.append(event.payload.get("state")) if event.kind == "status" else None)
    staff_hw.sims.sscard.restart_pcscd()
    assert wait_until(kiosk_app, lambda: "就绪" in device_line(board, "sscard") and seen, 40), board_text(board)
