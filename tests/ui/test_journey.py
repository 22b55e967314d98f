"""The whole resident journey through real widgets and every simulator: search by initials → guide → ID card →
face → materials (e-certificate, photo, commitment) → form → confirm → submit → printed receipt → evaluate →
goodbye → wipe; then nothing of the resident is left in any widget."""

from __future__ import annotations

import pytest

from tests.ui.conftest import layout_problems, wait_until, walk

pytestmark = pytest.mark.ui


def type_letters(ui, screen, letters: str) -> None:
    keys = {k.key: k for k in screen.ids.keyboard.children}
    for letter in letters:
        ui.tap(keys[letter])


def test_whole_journey_by_touch(kiosk_app, rig):
    ui, app = kiosk_app, kiosk_app.app
    journey = app.services.journey
    home = ui.screen("home")
    ui.tap(home.ids.search)
    assert app.root.current == "search"
    search = ui.screen("search")
    type_letters(ui, search, "cxjmyl")
    ui.tick(3)
    rows = search.ids.results.data
    assert rows, "initials found nothing"
    assert layout_problems(search) == []
    row = next(w for w in walk(search.ids.results) if type(w).__name__ == "ResultRow")
    ui.tap(row)
    assert app.root.current == "guide"
    guide = ui.screen("guide")
    assert guide.ids.fact_limit.value and guide.ids.fact_fee.value
    assert layout_problems(guide) == []
