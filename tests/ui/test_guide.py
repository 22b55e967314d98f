"""The guide screen shows every element of the national guide in readable sections, the 样表 of a material, and
prints it on the receipt printer (issue 19)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from tests.ui.conftest import layout_problems, wait_until, walk

pytestmark = pytest.mark.ui

ELDER_ALLOWANCE = "330199000300120000"  # 高龄津贴申领: its 授权委托书 has a 样表
SECTIONS_ZH = ("办理方式", "申请条件", "申请材料", "可用身份证件", "办理流程", "办理时限", "收费标准", "设定依据",
               "办理结果", "办理地点和时间", "咨询和投诉")
SHOTS = os.environ.get("TONGBAN_GUIDE_SHOTS")  # a folder: write the rendered guide there to look at it


def _texts(screen) -> list[str]:
    return [w.text for w in walk(screen.ids.content, visible_only=False) if hasattr(w, "text")]


@pytest.fixture
def guide(kiosk_app, hw):
    from kivy.core.window import Window

    from kiosk.journey import Target

    app = kiosk_app.app
    size = Window.size
    app.services.journey.choose(Target.of_item(app.services.catalog.item(ELDER_ALLOWANCE)))
    screen = app.screen("guide")
    yield screen
    Window.size = size  # the next test module sees the window it expects
    app.core.set_language("zh_CN")
    app.core.set_elder_mode(False)
    app.services.journey.wipe()
    app.navigate("home")  # the next test taps the home screen's buttons
    kiosk_app.tick(5)


@pytest.mark.parametrize("size", [(1080, 1920), (1920, 1080)])
@pytest.mark.parametrize("elder", [False, True])
@pytest.mark.parametrize("language", ["zh_CN", "en"])
def test_every_section_in_every_mode(kiosk_app, guide, size, elder, language):
    from kivy.core.window import Window

    app = kiosk_app.app
    app.core.set_language(language)
    app.core.set_elder_mode(elder)
    Window.size = size
    app.navigate("guide")
    wait_until(kiosk_app, lambda: app.root.current == "guide" and not app.root.transition.is_active, 5)
    guide.build_guide()
    kiosk_app.tick(6)
    texts = _texts(guide)
    item = app.services.catalog.item(ELDER_ALLOWANCE)
    if language == "zh_CN":
        for heading in SECTIONS_ZH:
            assert heading in texts
    assert any(item.legal_basis[0] in t for t in texts) and any(item.process[0] in t for t in texts)
    # form and source of each material, in the resident's language (the catalog domain: 原件 → Original)
    form, source = ("原件", "电子证照") if language == "zh_CN" else ("Original", "E-certificate")
    assert any(form in t and source in t for t in texts), texts
    assert any(str(app.services.catalog.department(item.department_code).complaint_phone) in t for t in texts)
    assert layout_problems(guide) == []
    if SHOTS:
        Path(SHOTS).mkdir(parents=True, exist_ok=True)
        name = f"guide-{language}-{'elder' if elder else 'std'}-{size[0]}x{size[1]}"
        guide.export_to_png(str(Path(SHOTS) / f"{name}.png"))
        guide.ids.scroll.scroll_y = 0.5
        kiosk_app.tick(3)
        guide.export_to_png(str(Path(SHOTS) / f"{name}-middle.png"))
        guide.ids.scroll.scroll_y = 0
        kiosk_app.tick(3)
        guide.export_to_png(str(Path(SHOTS) / f"{name}-end.png"))


def test_the_sample_form_shows_and_prints(kiosk_app, guide, hw):
    app = kiosk_app.app
    app.navigate("guide")
    wait_until(kiosk_app, lambda: app.root.current == "guide", 5)
    guide.build_guide()
    kiosk_app.tick(2)
    button = next(w for w in walk(guide.ids.content, visible_only=False) if type(w).__name__ == "GuideSampleButton")
    assert button.sample == "samples/power_of_attorney.png"
    jobs = len(hw.sims.printer.jobs)
    guide.show_sample(button.sample, button.form_name)
    kiosk_app.tick(2)
    dialog = next(w for w in app.root_window.children if type(w).__name__ == "SampleDialog")
    assert Path(dialog.source).is_file() and dialog.title == button.form_name
    if SHOTS:
        dialog.export_to_png(str(Path(SHOTS) / "sample-dialog.png"))
    dialog.print_it()
    assert wait_until(kiosk_app, lambda: len(hw.sims.printer.jobs) > jobs, 30)
    assert wait_until(kiosk_app, lambda: "已打印" in dialog.status or "Printed" in dialog.status, 30)
    dialog.dismiss()


def test_an_everyday_phrase_finds_a_bundle_whose_guide_says_where_it_is_done(kiosk_app, guide):
    app = kiosk_app.app
    search = app.screen("search")
    search.query = ""
    for key in "shenghaizi":  # 生孩子 on the letter keyboard
        search.on_key(key)
    first = search.ids.results.data[0]
    assert (first["kind"], first["key"], first["text"]) == ("bundle", "birth", "出生一件事")
    search.choose(first["kind"], first["key"])
    wait_until(kiosk_app, lambda: app.root.current == "guide", 5)
    guide.build_guide()
    kiosk_app.tick(2)
    texts = _texts(guide)
    bundle = app.services.catalog.bundle("birth")
    assert bundle.counter in texts[0] or any(bundle.counter in t for t in texts)
    assert not guide.here and bundle.counter in guide.elsewhere
    target = app.services.journey.session.target
    assert "birth_medical_certificate" not in [m.document_type for m in target.materials]  # issued within the bundle
    assert any("出生医学证明" in t and "无需您提供" in t for t in texts)
    assert layout_problems(guide) == []
    if SHOTS:
        guide.export_to_png(str(Path(SHOTS) / "guide-bundle-birth.png"))
    search.query = ""
