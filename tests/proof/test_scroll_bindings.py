"""Scroll views keep one ``bar_color`` binding however often they update (a Kivy 2.3 leak the UI soak found)."""

from __future__ import annotations


def _bar_bindings(view) -> int:
    return sum(1 for callback in view.get_property_observers("bar_color") if callback == view._change_bar_color)


def test_repeated_updates_leave_one_bar_colour_binding():
    from kivy.uix.label import Label
    from kivy.uix.scrollview import ScrollView

    import screens.widgets  # noqa: F401  (installs the fix)

    view = ScrollView(size=(100, 100))
    view.add_widget(Label(size_hint=(None, None), size=(100, 400)))
    for step in range(20):
        view.scroll_y = step / 20
        view.update_from_scroll()
    assert _bar_bindings(view) == 1
    view._bind_inactive_bar_color()  # what Kivy's trigger does 0.5 s after scrolling
    assert _bar_bindings(view) == 0


def test_the_result_list_uses_the_fixed_update():
    from kivy.uix.scrollview import ScrollView

    from screens.widgets import ResultList

    assert ResultList.update_from_scroll is ScrollView.update_from_scroll
    assert ScrollView.update_from_scroll.binds_bar_colour_once
