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

from kiosk.workdays import Tables, is_working_day

Days = Literal["workdays", "workdays_and_saturday", "every_day"]
LOOK_AHEAD_DAYS = 21  # the longest holiday (Spring Festival with its weekends) is 9 days
WEEKDAYS_ZH = "一二三四五六日"
WEEKDAYS_EN = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
_DISTANCE = re.compile(r"^\s*(?:约|about\s+|~)?\s*(\d+(?:\.\d+)?)\s*(m|km|米|公里|千米)\s*$", re.IGNORECASE)


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


def opening_words(opening: Opening | None, now: dt.datetime, lang: str) -> str:
    """"Open now, until 17:30" / "明天 8:30 开门" / "12月8日（周一）9:00 开门", with no-break spaces so a day and
    its time stay on one line."""
    nb = "\u00a0"
    if opening is None:
        return "近期不开放" if lang == "zh_CN" else "Not open in the coming weeks"
    at = opening.at
    if opening.open_now:
        return f"现在开放，{_clock(at)}关门" if lang == "zh_CN" else f"Open now, until{nb}{_clock(at)}"
    days_ahead = (at.date() - now.date()).days
    if lang == "zh_CN":
        named = {0: "今天", 1: "明天", 2: "后天"}.get(days_ahead)
        day = f"{named}{nb}" if named else f"{at.month}月{at.day}日（周{WEEKDAYS_ZH[at.weekday()]}）"
        return f"{day}{_clock(at)}{nb}开门"
    day = {0: "today", 1: "tomorrow"}.get(days_ahead) or f"{WEEKDAYS_EN[at.weekday()]}{nb}{at.day}{nb}{at:%b}"
    return f"Opens {day} at{nb}{_clock(at)}"


def distance_words(distance: str, lang: str) -> str:
    """"50 m", "2.3 km", "约800米" as a resident says it: 约50米 / 约2.3公里, about 50 m / about 2.3 km; anything
    else as written."""
    match = _DISTANCE.match(distance)
    if not match:
        return distance.strip()
    value, unit = match.group(1), match.group(2).lower()
    metres = float(value) * (1000 if unit in ("km", "公里", "千米") else 1)
    if metres < 1000:
        number, zh_unit, en_unit = f"{metres:.0f}", "米", "m"
    else:
        number, zh_unit, en_unit = f"{metres / 1000:.1f}".removesuffix(".0"), "公里", "km"
    return f"约{number}{zh_unit}" if lang == "zh_CN" else f"about\u00a0{number}\u00a0{en_unit}"
