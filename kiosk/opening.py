"""When a place opens next, and how far it is, in words a resident reads at 02:00 in front of a kiosk that is out
of service ("明天 9:00 开门", "约50米").

A place's days are ``workdays`` (the official working days: closed on public holidays, open on the make-up
Saturdays and Sundays of 调休), ``workdays_and_saturday`` (those, and every Saturday that is not a public
holiday) or ``every_day``. Which days are working days and which are public holidays comes from
chinese-calendar (2004–2026) and, for later years, from the configured holiday tables (``kiosk.workdays``):
the same sources as the promised completion dates.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from typing import Literal

import chinese_calendar

from kiosk.i18n import N_, translator
from kiosk.workdays import Tables, is_working_day

Days = Literal["workdays", "workdays_and_saturday", "every_day"]
LOOK_AHEAD_DAYS = 21  # the longest holiday (Spring Festival with its weekends) is 9 days
WEEKDAYS = (N_("Mon"), N_("Tue"), N_("Wed"), N_("Thu"), N_("Fri"), N_("Sat"), N_("Sun"))
MONTHS = (N_("Jan"), N_("Feb"), N_("Mar"), N_("Apr"), N_("May"), N_("Jun"), N_("Jul"), N_("Aug"), N_("Sep"),
          N_("Oct"), N_("Nov"), N_("Dec"))  # {month_abbr}: Dec, 12月
# A site file's distance, as operators write it (data, not a message): "50 m", "2.3 km", "约800米", "1公里".
_DISTANCE = re.compile(r"^\s*(?:约|about\s+|~)?\s*(\d+(?:\.\d+)?)\s*(?:(?P<km>km|公里|千米)|m|米)\s*$", re.IGNORECASE)
_NEXT_TO_DIGIT = re.compile(r"(?<=\d) | (?=\d)")
# Opens today / tomorrow / the day after (后天), else on a date.
_OPENS_ON = {0: N_("Opens today at {time}"), 1: N_("Opens tomorrow at {time}"),
             2: N_("Opens the day after tomorrow ({weekday}) at {time}")}
_OPENS_ON_DATE = N_("Opens {weekday} {day} {month_abbr} at {time}")


@dataclass(frozen=True)
class Opening:
    """``open_now``: open at the moment asked, until ``at`` (closing time); else it opens at ``at``."""

    open_now: bool
    at: dt.datetime


def is_public_holiday(day: dt.date, tables: Tables | None = None) -> bool:
    """A statutory holiday (not an ordinary weekend): chinese-calendar's named holidays, else the tables'."""
    try:
        on_holiday, name = chinese_calendar.get_holiday_detail(day)
        return bool(on_holiday and name)
    except NotImplementedError:  # a year chinese-calendar does not know
        table = (tables or {}).get(day.year)
        return table is not None and day in table.holidays


def is_open_day(day: dt.date, days: Days, tables: Tables | None = None) -> bool:
    if days == "every_day":
        return True
    working, _approximate = is_working_day(day, tables)
    if days == "workdays_and_saturday" and day.weekday() == 5:
        return working or not is_public_holiday(day, tables)
    return working


def parse_hours(hours: str) -> tuple[dt.time, dt.time]:
    start, _, end = hours.partition("-")
    return dt.time.fromisoformat(start.strip()), dt.time.fromisoformat(end.strip())


def next_opening(now: dt.datetime, days: Days, hours: str, tables: Tables | None = None) -> Opening | None:
    """Open now (until when), or the next opening time; None when it does not open in the next three weeks."""
    opens, closes = parse_hours(hours)
    for offset in range(LOOK_AHEAD_DAYS + 1):
        day = now.date() + dt.timedelta(days=offset)
        if not is_open_day(day, days, tables):
            continue
        start = dt.datetime.combine(day, opens, now.tzinfo)
        end = dt.datetime.combine(day, closes, now.tzinfo)
        if offset == 0 and start <= now < end:
            return Opening(True, end)
        if now < start:
            return Opening(False, start)
    return None


def _clock(moment: dt.datetime | dt.time) -> str:
    return f"{moment.hour}:{moment.minute:02d}"


def hours_words(hours: str) -> str:
    """"08:30-17:30" as a sign on a door writes it: 8:30–17:30."""
    opens, closes = parse_hours(hours)
    return f"{_clock(opens)}–{_clock(closes)}"


def _glued(text: str) -> str:
    """A number stays on one line with the words beside it ("明天 9:00 开门", "Mon 8 Dec", "at 9:00", "about 50 m"):
    the spaces next to a digit become no-break spaces, in every language's phrasing."""
    return _NEXT_TO_DIGIT.sub("\u00a0", text)


def opening_words(opening: Opening | None, now: dt.datetime, lang: str) -> str:
    """"Open now, until 17:30" / "明天 8:30 开门" / "12月8日（周一）9:00 开门" in the catalog's words for ``lang``."""
    t = translator(lang)
    if opening is None:
        return t("Not open in the coming weeks")
    at = opening.at
    if opening.open_now:
        return _glued(t("Open now, until {time}").format(time=_clock(at)))
    days_ahead = (at.date() - now.date()).days
    phrase = _OPENS_ON.get(days_ahead, _OPENS_ON_DATE)
    weekday, month = t(WEEKDAYS[at.weekday()]), t(MONTHS[at.month - 1])
    return _glued(t(phrase).format(time=_clock(at), weekday=weekday, day=at.day, month_abbr=month))


def distance_words(distance: str, lang: str) -> str:
    """"50 m", "2.3 km", "约800米" as a resident says it: 约50米 / 约2.3公里, about 50 m / about 2.3 km; anything
    else as written."""
    match = _DISTANCE.match(distance)
    if not match:
        return distance.strip()
    metres = float(match.group(1)) * (1000 if match.group("km") else 1)
    t = translator(lang)
    if metres < 1000:
        return _glued(t("about {number} m").format(number=f"{metres:.0f}"))
    return _glued(t("about {number} km").format(number=f"{metres / 1000:.1f}".removesuffix(".0")))
