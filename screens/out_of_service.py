"""Safe mode's only screen (issue 17): the kiosk cannot serve, says so plainly, and tells the resident where to
turn — the hotline and the nearest alternatives from configuration — in Chinese or English, standard or elder.
A short code for staff names the reason (never personal data); the operator sees the same in the heartbeat."""

from __future__ import annotations

from kivy.app import App
from kivy.properties import StringProperty
from kivy.uix.screenmanager import Screen
from kivy.utils import escape_markup

NAME = "out_of_service"


def alternatives_markup(lang: str) -> str:
    """The configured nearby places, nearest first: the name, then its address and hours indented beneath it."""
    app = App.get_running_app()
    places = []
    for alt in app.core.settings.service.alternatives:
        # No-break spaces: "(2.3 km)" stays whole and on the line of the place's last word.
        distance = "\u00a0(" + alt.distance.replace(" ", "\u00a0") + ")" if alt.distance else ""
        head = getattr(alt.place, lang) + distance
        detail = getattr(alt.address, lang) + (f" · {getattr(alt.hours, lang)}" if alt.hours else "")
        places.append(f"[b]{escape_markup(head)}[/b]\n    {escape_markup(detail)}")
    return "\n\n".join(places)  # a blank line between places: the name and its address belong together


class OutOfServiceScreen(Screen):
    reason_code: str = StringProperty("")  # e.g. site_file_refused: shown small, for staff on the phone

    def hotline(self) -> str:
        return str(App.get_running_app().core.settings.routing.hotline)

    def toggle_language(self) -> None:
        core = App.get_running_app().core
        core.set_language("en" if core.language == "zh_CN" else "zh_CN")

    def toggle_elder(self) -> None:
        core = App.get_running_app().core
        core.set_elder_mode(not core.elder_mode)
