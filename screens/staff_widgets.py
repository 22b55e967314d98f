"""Widgets shared by the staff screens, and the home screen's out-of-service panel and degraded-mode notice."""

from __future__ import annotations

from kivy.app import App
from kivy.properties import BooleanProperty, StringProperty
from kivy.uix.boxlayout import BoxLayout


def N_(message: str) -> str:  # the gettext convention: mark a msgid, translate later
    return message


class StaffFrame(BoxLayout):
    """A staff screen's frame: title, who is signed in and their role, back to the menu (or log out)."""

    title: str = StringProperty("")
    is_menu: bool = BooleanProperty(False)

    def who(self, *_bindings: object) -> str:
        app = App.get_running_app()
        session = app.staff_desk.session
        if session is None:
            return ""
        role = app.t("Administrator") if session.role == "administrator" else app.t("Operator")
        return f"{session.display_name} · {role}"

    def back(self) -> None:
        app = App.get_running_app()
        if self.is_menu:
            app.staff_desk.logout()
        else:
            app.root.current = "staff_menu"


class StaffAction(BoxLayout):
    """A menu button with the reason underneath when the signed-in role may not use it."""

    text: str = StringProperty("")
    action: str = StringProperty("")  # kiosk.staff.Action value
    reason: str = StringProperty("")  # shown when not allowed

    def allowed(self, *_bindings: object) -> bool:
        session = App.get_running_app().staff_desk.session
        return bool(self.action) and session is not None and session.can(self.action)

    def on_release(self) -> None:  # the dispatcher event the kv binds screens to
        pass

    def __init__(self, **kwargs) -> None:
        self.register_event_type("on_release")
        super().__init__(**kwargs)


class StaffHomeOverlay(BoxLayout):
    """Out of service: covers the home screen with 暂停服务 and the nearest alternatives from configuration."""

    def alternatives_text(self, *_bindings: object) -> str:
        from screens.out_of_service import alternatives_markup  # the same list as safe mode's screen

        return alternatives_markup(App.get_running_app().lang)

    def on_touch_down(self, touch) -> bool:
        # While shown, residents cannot start anything underneath (the corner gesture still works: Window level).
        return self.collide_point(*touch.pos) and self.opacity > 0
