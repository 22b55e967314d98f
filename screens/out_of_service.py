"""Safe mode's only screen (issue 17): the kiosk cannot serve, says so plainly, and tells the resident where to
turn — the hotline and the nearest alternatives from configuration — in Chinese or English, standard or elder.
A short code for staff names the reason (never personal data); the operator sees the same in the heartbeat."""

from __future__ import annotations

import logging

from kivy.app import App
from kivy.properties import StringProperty
from kivy.uix.screenmanager import Screen
from kivy.utils import escape_markup

from kiosk import clock
from kiosk.opening import distance_words, next_opening, opening_words
from kiosk.workdays import Tables, holiday_tables

log = logging.getLogger(__name__)
NAME = "out_of_service"


def _holiday_tables(core) -> Tables:
    """The configured holiday tables (years after chinese-calendar's); safe mode may have a broken bundle."""
    try:
        return holiday_tables(core.data_dir)
    except Exception:  # a bad bundle must not take the out-of-service screen with it
        log.warning("holiday tables unreadable: opening times count plain weekdays", exc_info=True)
        return {}


def alternatives_markup(lang: str) -> str:
    """The configured nearby places, nearest first: the name and how far (约50米), when it opens next (明天
    9:00 开门, from its opening days and hours), then its address and hours indented beneath it."""
    app = App.get_running_app()
    places = []
    now = clock.now()
    tables = None
    nb = "\u00a0"
    for alt in app.core.settings.service.alternatives:
        distance = f" {distance_words(alt.distance, lang)}" if alt.distance else ""
        head = getattr(alt.place, lang) + distance
        lines = [f"[b]{escape_markup(head)}[/b]"]
        if alt.open_hours:
            tables = _holiday_tables(app.core) if tables is None else tables
            opening = next_opening(now, alt.days, alt.open_hours, tables)
            lines.append(f"    [b]{escape_markup(opening_words(opening, now, lang))}[/b]")
        hours = getattr(alt.hours, lang).replace(" ", nb) if alt.hours else ""  # 周一至周五 9:00–17:00 stays whole
        lines.append("    " + escape_markup(getattr(alt.address, lang) + (f" · {hours}" if hours else "")))
        places.append("\n".join(lines))
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
