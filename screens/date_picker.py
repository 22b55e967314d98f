"""A date by touch: decade → year → month → day, four touches for any date since 1900 (no typing, no
format to know). ``on_date(iso_text)`` when the day is touched."""

from __future__ import annotations

import datetime as dt

from kivy.factory import Factory
from kivy.properties import NumericProperty, OptionProperty
from kivy.uix.boxlayout import BoxLayout

from kiosk.form_input import days_in_month, decades


class DatePicker(BoxLayout):
    stage: str = OptionProperty("decade", options=("decade", "year", "month", "day"))
    year: int = NumericProperty(0)
    month: int = NumericProperty(0)

    __events__ = ("on_date",)

    def start(self, today: dt.date, value: str = "") -> None:
        self._today = today
        try:
            current = dt.date.fromisoformat(value) if value else None
        except ValueError:
            current = None
        self.year, self.month = (current.year, current.month) if current else (0, 0)
        self._go("decade")

    def _go(self, stage: str) -> None:
        self.stage = stage
        grid = self.ids.choices
        grid.clear_widgets()
        t = self._t
        if stage == "decade":
            grid.cols = 4
            for first in decades(self._today):
                grid.add_widget(Factory.KGhostButton(text=t("{decade}s").format(decade=first),
                                                     on_release=lambda _b, f=first: self._decade(f)))  # fmt: skip
        elif stage == "year":
            grid.cols = 5
            for year in range(self.year, min(self.year + 10, self._today.year + 1)):
                grid.add_widget(Factory.KGhostButton(text=str(year), on_release=lambda _b, y=year: self._year(y)))
        elif stage == "month":
            grid.cols = 6
            for month in range(1, 13):
                grid.add_widget(Factory.KGhostButton(text=t("{month}-month").format(month=month),
                                                     on_release=lambda _b, m=month: self._month(m)))  # fmt: skip
        else:
            grid.cols = 7
            for day in range(1, days_in_month(self.year, self.month) + 1):
                grid.add_widget(Factory.KGhostButton(text=str(day), on_release=lambda _b, d=day: self._day(d)))

    @property
    def _t(self):
        from kivy.app import App

        return App.get_running_app().core.t

    def _decade(self, first: int) -> None:
        self.year = first
        self._go("year")

    def _year(self, year: int) -> None:
        self.year = year
        self._go("month")

    def _month(self, month: int) -> None:
        self.month = month
        self._go("day")

    def _day(self, day: int) -> None:
        self.dispatch("on_date", dt.date(self.year, self.month, day).isoformat())
        self._go("decade")

    def back(self) -> None:
        """One stage up (the resident touched the wrong decade, year or month)."""
        order = ("decade", "year", "month", "day")
        self._go(order[max(0, order.index(self.stage) - 1)])

    def on_date(self, text: str) -> None:
        pass
