"""Safe mode's out-of-service screen (issue 17) as a resident sees it: what happened, the hotline, where else to go,
in portrait and landscape, standard and elder mode, Chinese and English; nothing cut, nothing outside the screen.
``TONGBAN_LAYOUT_PNG=/dir`` writes one PNG per case to look at."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from tests.ui.conftest import layout_problems, walk
from tests.ui.layout_check import check_screen

pytestmark = pytest.mark.ui


@pytest.fixture(scope="module", autouse=True)
def _standard_after(kiosk_app):
    yield
    kiosk_app.app.core.set_elder_mode(False)
    kiosk_app.app.core.set_language("zh_CN")
    kiosk_app.tick()


def texts(screen) -> str:
    return "\n".join(str(getattr(w, "text", "")) for w in walk(screen))


@pytest.mark.parametrize("size", [(1080, 1920), (1920, 1080)], ids=["portrait", "landscape"])
@pytest.mark.parametrize("elder", [False, True], ids=["standard", "elder"])
@pytest.mark.parametrize("language", ["zh_CN", "en"])
def test_the_out_of_service_screen_says_what_to_do(kiosk_app, size, elder, language):
    from kivy.core.window import Window

    from screens.app import load_kv
    from screens.out_of_service import NAME, OutOfServiceScreen

    core = kiosk_app.app.core
    if core.elder_mode != elder:
        core.set_elder_mode(elder)
    if core.language != language:
        core.set_language(language)
    kiosk_app.tick()
    load_kv(NAME)
    screen = OutOfServiceScreen(name="probe-out-of-service", size_hint=(None, None))
    screen.size = size
    screen.reason_code = "site_file_refused"
    Window.add_widget(screen)
    try:
        kiosk_app.tick(6)
        assert layout_problems(screen) == []
        # the list of places scrolls: no place name under its bar (English elder portrait cut "(ground-floor")
        assert [str(p) for p in check_screen(screen, contrast=False) if p.kind == "under-bar"] == []
        shown = texts(screen)
        hotline = core.settings.routing.hotline
        assert hotline in shown and "site_file_refused" in shown
        plain = shown.replace("\u00a0", " ")
        if language == "zh_CN":
            assert "暂停服务" in shown and "服务热线" in shown and "示例县政务服务中心" in shown
            # how far, as said aloud, and when each place opens next (kiosk.opening), never a bare "(50 m)"
            assert "约50米" in shown and "约2.3公里" in shown and "(50 m)" not in shown
            assert "开门" in plain or "现在开放" in plain
        else:
            assert "Out of service" in shown and "hotline" in shown and "County Government Service Centre" in shown
            assert "about 50 m" in plain and "out of service for now" in plain
            assert "Opens " in plain or "Open now" in plain
        assert "…" not in shown
        call = screen.ids.call_staff  # a person one touch away even here
        assert call.opacity == 1 and not call.disabled and call.text in ("呼叫工作人员", "Call staff")
        call.dispatch("on_release")  # the call is recorded and the dialog says what happens next, with the hotline
        app = kiosk_app.app
        assert app._staff_call_dialog is not None and app._staff_call_dialog.hotline == hotline
        app.close_staff_call()
        folder = os.environ.get("TONGBAN_LAYOUT_PNG")
        if folder:
            Path(folder).mkdir(parents=True, exist_ok=True)
            kind = f"{'portrait' if size[0] < size[1] else 'landscape'}-{'elder' if elder else 'standard'}-{language}"
            screen.export_to_png(str(Path(folder) / f"out_of_service-{kind}.png"))
    finally:
        Window.remove_widget(screen)
