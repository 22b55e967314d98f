"""kiosk.privacy_scan looks into screens.* objects too, including Kivy property values (outside ``__dict__``)."""

from __future__ import annotations

from kiosk.privacy_scan import PersonalData, PrivacyScanner

NAME, NUMBER = "欧阳小明", "110105201503071231"


def test_a_screen_widget_property_holding_personal_data_is_found():
    from screens.widgets import TopBar

    scanner = PrivacyScanner(PersonalData(names=[NAME], id_numbers=[NUMBER]))
    bar = TopBar(title=f"{NAME} {NUMBER}")
    found = {(f.kind, f.where) for f in scanner.scan_objects()}
    assert ("name", "object screens.widgets.TopBar .title") in found
    assert ("id_number", "object screens.widgets.TopBar .title") in found
    bar.title = ""
    assert not [f for f in scanner.scan_objects() if "TopBar" in f.where]


def test_a_plain_attribute_of_a_screen_object_is_found():
    from screens.widgets import TopBar

    scanner = PrivacyScanner(PersonalData(names=[NAME]))
    bar = TopBar()
    bar._kept = [{"who": NAME}]  # a screen that forgot to drop what it showed
    assert "object screens.widgets.TopBar ._kept" in {f.where for f in scanner.scan_objects()}
    del bar._kept
