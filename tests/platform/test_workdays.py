"""Working days: chinese-calendar's own data for 2026 (Spring Festival and its make-up Saturdays), configured
tables beyond it, weekdays with a warning and the approximate flag when nothing knows the year."""

from __future__ import annotations

import datetime as dt
import logging

import chinese_calendar
import pytest

from kiosk import workdays
from kiosk.paths import config_dir
from kiosk.workdays import add_working_days, is_working_day, load_tables

D = dt.date


def test_spring_festival_2026_per_chinese_calendar():
    # the library's own data, not this test's belief: Feb 15–23 off, Sat Feb 14 and Sat Feb 28 worked
    assert all(not chinese_calendar.is_workday(D(2026, 2, day)) for day in range(15, 24))
    assert chinese_calendar.is_workday(D(2026, 2, 14)) and D(2026, 2, 14).weekday() == 5
    assert chinese_calendar.is_workday(D(2026, 2, 28)) and D(2026, 2, 28).weekday() == 5


@pytest.mark.parametrize(
    ("start", "n", "expected"),
    [
        (D(2026, 2, 12), 1, D(2026, 2, 13)),  # Thu → Fri
        (D(2026, 2, 13), 1, D(2026, 2, 14)),  # Fri → the make-up Saturday
        (D(2026, 2, 13), 2, D(2026, 2, 24)),  # … then the whole festival is skipped
        (D(2026, 2, 12), 5, D(2026, 2, 26)),  # 13, 14, 24, 25, 26
        (D(2026, 2, 24), 4, D(2026, 2, 28)),  # 25, 26, 27 and the make-up Saturday 28
        (D(2026, 2, 13), 0, D(2026, 2, 13)),
        (D(2026, 9, 30), 1, D(2026, 10, 8)),  # National Day, Oct 1–7
    ],
)
def test_counting_through_2026(start, n, expected):
    assert add_working_days(start, n) == (expected, False)


def test_negative_count_refused():
    with pytest.raises(ValueError):
        add_working_days(D(2026, 1, 5), -1)


def test_into_2027_without_a_table_is_approximate_and_warned(caplog):
    workdays._warned_years.discard(2027)
    with caplog.at_level(logging.WARNING, logger="kiosk.workdays"):
        day, approximate = add_working_days(D(2026, 12, 30), 3)
    assert (day, approximate) == (D(2027, 1, 4), True)  # 31, Fri 1 Jan (a weekday guess), Mon 4
    assert "2027" in caplog.text


def test_into_2027_with_a_configured_table():
    tables = load_tables({2027: {"holidays": ["2027-01-01..2027-01-03"], "workdays": []}})
    assert add_working_days(D(2026, 12, 30), 3, tables) == (D(2027, 1, 5), False)
    make_up = load_tables({"2027": {"holidays": [D(2027, 2, 8)], "workdays": ["2027-02-06"]}})
    assert is_working_day(D(2027, 2, 6), make_up) == (True, False)  # a Saturday worked
    assert is_working_day(D(2027, 2, 8), make_up) == (False, False)
    assert is_working_day(D(2027, 2, 9), make_up) == (True, False)
    assert is_working_day(D(2027, 2, 7), make_up) == (False, False)


def test_counting_stays_exact_until_it_leaves_known_years():
    assert add_working_days(D(2026, 12, 1), 3) == (D(2026, 12, 4), False)


def test_shipped_2027_table_is_provisional():
    tables = load_tables(config_dir() / "holidays")
    assert 2027 in tables and tables[2027].provisional
    assert all(d.weekday() >= 5 for d in tables[2027].workdays)
    assert D(2027, 2, 8) in tables[2027].holidays and D(2027, 10, 1) in tables[2027].holidays
    assert add_working_days(D(2026, 12, 30), 3, tables) == (D(2027, 1, 5), True)


def test_chinese_calendar_wins_for_years_it_knows():
    tables = load_tables({2026: {"holidays": ["2026-03-02"]}})
    assert is_working_day(D(2026, 3, 2), tables) == (True, False)


def test_toml_file(tmp_path):
    path = tmp_path / "2028.toml"
    path.write_text('[2028]\nholidays = [2028-01-03, "2028-10-02..2028-10-04"]\nworkdays = ["2028-01-08"]\n')
    tables = load_tables(path)
    assert D(2028, 10, 3) in tables[2028].holidays and not tables[2028].provisional
    assert add_working_days(D(2028, 1, 1), 1, tables) == (D(2028, 1, 4), False)


@pytest.mark.parametrize(
    "table",
    [
        {2027: {"holidays": ["2028-01-01"]}},
        {2027: {"holidays": ["2027-01-03..2027-01-01"]}},
        {2027: {"holidays": ["2027-01-01"], "workdays": ["2027-01-01"]}},
        {2027: {"holiday": []}},
        {2027: {"holidays": [20270101]}},
        {2027: ["2027-01-01"]},
        {2027: {"holidays": ["1 Jan"]}},
    ],
)
def test_bad_tables_refused(table):
    with pytest.raises(ValueError):
        load_tables(table)
