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
    """The configured nearby places, nearest first: the name, then on short indented lines how far and when it
    opens next (约50米 · 明天 9:00 开门, from its opening days and hours), its address and its hours. Short lines:
    a wrapped continuation would lose the indent that groups them under the name."""
    app = App.get_running_app()
    places = []
    now = clock.now()
    tables = None
    for alt in app.core.settings.service.alternatives:
        facts = [distance_words(alt.distance, lang)] if alt.distance else []
        if alt.open_hours:
            tables = _holiday_tables(app.core) if tables is None else tables
            facts.append(opening_words(next_opening(now, alt.days, alt.open_hours, tables), now, lang))
        lines = [f"[b]{escape_markup(getattr(alt.place, lang))}[/b]"]
        if facts:
            lines.append("[b]" + escape_markup(" · ".join(facts)) + "[/b]")
        lines.append(escape_markup(getattr(alt.address, lang)))
        if alt.hours:
            lines.append(escape_markup(getattr(alt.hours, lang).replace(" ", "\u00a0")))  # one line: 周一至周五 9:00
        places.append("\n    ".join(lines))
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
