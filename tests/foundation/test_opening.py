"""When a nearby office opens next (kiosk.opening), for the out-of-service screen at any hour: official working
days from chinese-calendar up to 2026 and from the configured tables after it; distances as 约50米."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest

from kiosk.opening import distance_words, hours_words, next_opening, opening_words
from kiosk.paths import config_dir
from kiosk.workdays import load_tables

TZ = ZoneInfo("Asia/Shanghai")
TABLES = load_tables(config_dir() / "holidays")


def words(now: dt.datetime, days, hours: str, lang: str = "zh_CN") -> str:
    return opening_words(next_opening(now, days, hours, TABLES), now, lang).replace("\u00a0", " ")


@pytest.mark.parametrize(
    ("now", "days", "hours", "zh", "en"),
    [
        # a Monday at 02:00, and at 10:00
        (dt.datetime(2026, 12, 7, 2, 0), "workdays", "09:00-17:00", "今天 9:00 开门", "Opens today at 9:00"),
        (dt.datetime(2026, 12, 7, 10, 0), "workdays", "09:00-17:00", "现在开放，17:00关门", "Open now, until 17:00"),
        # a Friday evening: Monday for a weekday office, tomorrow for one open on Saturdays
        (dt.datetime(2026, 12, 11, 18, 0), "workdays", "09:00-17:00", "12月14日（周一）9:00 开门",
         "Opens Mon 14 Dec at 9:00"),
        (dt.datetime(2026, 12, 11, 18, 0), "workdays_and_saturday", "08:30-17:30", "明天 8:30 开门",
         "Opens tomorrow at 8:30"),
        # the eve of National Day 2026 (chinese-calendar): closed through the holiday, Saturday or not
        (dt.datetime(2026, 9, 30, 20, 0), "workdays_and_saturday", "09:00-17:00", "10月8日（周四）9:00 开门",
         "Opens Thu 8 Oct at 9:00"),
        # Spring Festival 2027 is past chinese-calendar: the configured table (config/holidays/2027.toml)
        (dt.datetime(2027, 2, 4, 20, 0), "workdays", "09:00-17:00", "2月15日（周一）9:00 开门",
         "Opens Mon 15 Feb at 9:00"),
        (dt.datetime(2027, 2, 4, 20, 0), "every_day", "09:00-17:00", "明天 9:00 开门", "Opens tomorrow at 9:00"),
        # a Saturday evening: 后天 with its weekday in Chinese, the weekday alone in English
        (dt.datetime(2026, 12, 5, 20, 0), "workdays", "09:00-17:00", "后天（周一）9:00 开门", "Opens Mon at 9:00"),
    ],
)  # fmt: skip
def test_when_it_opens_next(now, days, hours, zh, en):
    now = now.replace(tzinfo=TZ)
    assert words(now, days, hours) == zh
    assert words(now, days, hours, "en") == en


def test_a_day_and_its_time_stay_on_one_line():
    now = dt.datetime(2026, 12, 11, 18, 0, tzinfo=TZ)
    opening = next_opening(now, "workdays", "09:00-17:00", TABLES)
    assert opening_words(opening, now, "zh_CN") == "12月14日（周一）9:00\u00a0开门"
    assert opening_words(opening, now, "en") == "Opens Mon\u00a014\u00a0Dec at\u00a09:00"
    assert opening_words(None, now, "zh_CN") == "近期不开放"


def test_a_make_up_saturday_is_open_and_a_sunday_is_not():
    # 2026-09-20 is a Sunday worked for National Day (调休): a weekday office opens that day
    saturday_night = dt.datetime(2026, 9, 19, 22, 0, tzinfo=TZ)
    assert words(saturday_night, "workdays", "09:00-17:00") == "明天 9:00 开门"


def test_distances_read_as_a_resident_says_them():
    assert [distance_words(d, "zh_CN") for d in ("50 m", "2.3 km", "约800米", "1000 m")] == [
        "约50米", "约2.3公里", "约800米", "约1公里"]  # fmt: skip
    assert distance_words("2.3 km", "en") == "about\u00a02.3\u00a0km"
    assert distance_words("next door", "en") == "next door"  # not a distance: as written


def test_counter_hours_read_as_on_a_door():
    assert hours_words("08:30-17:30") == "8:30–17:30"
